package org.pot4j.itests;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemPackage;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Constants;
import org.pot4j.runtime.Launcher;

/**
 * Pax Exam options that boot Felix as {@code bin/pot} does: the jars of the built distribution's
 * bundle/ directory (nothing else of pot4j), the launcher's own framework properties, the
 * distribution's conf/; only the watched deploy directory is a fresh one per test class.
 * Runs on the host side, before the framework starts.
 */
final class RuntimeOptions {

    /** Framework property naming the test's own watched deploy directory. */
    static final String DEPLOY_DIR = "pot4j.itest.deploy";
    /** Framework property naming a directory on the same file system, for atomic moves into deploy/. */
    static final String STAGING_DIR = "pot4j.itest.staging";
    static final String DIST_DIR = "pot4j.itest.dist";
    static final String SAMPLE_JAR = "pot4j.itest.sample";

    private RuntimeOptions() {
    }

    static Path distribution() {
        Path dist = Path.of(required("pot4j.dist")).toAbsolutePath().normalize();
        if (!Files.isDirectory(dist.resolve("bundle"))) {
            throw new IllegalStateException("no distribution at " + dist + ": build runtime first (mvn install)");
        }
        return dist;
    }

    /** The shipped bundle jars, in the launcher's start order (Felix starts same-level bundles by id). */
    static List<Path> shippedBundles(Path dist) {
        try (Stream<Path> files = Files.list(dist.resolve("bundle"))) {
            return files.filter(file -> file.getFileName().toString().endsWith(".jar"))
                    .sorted(Comparator.comparingInt((Path jar) -> Launcher.startRank(symbolicName(jar)))
                            .thenComparing(Comparator.naturalOrder()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String symbolicName(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            String name = file.getManifest().getMainAttributes().getValue("Bundle-SymbolicName");
            return name == null ? "" : name.split(";")[0].trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifest of " + jar, e);
        }
    }

    static Option[] runtime(String testName) {
        Path dist = distribution();
        Path work = Path.of(required("pot4j.itest.work")).toAbsolutePath().resolve(testName);
        Path deploy = work.resolve("deploy");
        Path staging = work.resolve("staging");
        try {
            deleteRecursively(work);
            Files.createDirectories(deploy);
            Files.createDirectories(staging);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        List<Option> options = new ArrayList<>();
        Launcher.frameworkProperties(dist, work.resolve("storage")).forEach((key, value) -> {
            if (key.equals(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA)) {
                // Pax Exam adds its own packages to this property: contribute ours through its option
                for (String pkg : value.split(",")) {
                    options.add(systemPackage(pkg.trim()));
                }
            } else if (!key.startsWith("org.osgi.framework.storage") && !key.equals("felix.fileinstall.dir")) {
                // Pax Exam owns the storage; the watched directories are set below
                options.add(frameworkProperty(key).value(value));
            }
        });
        options.add(frameworkProperty("felix.fileinstall.dir").value(deploy + "," + dist.resolve("conf")));
        options.add(frameworkProperty(DEPLOY_DIR).value(deploy.toString()));
        options.add(frameworkProperty(STAGING_DIR).value(staging.toString()));
        options.add(frameworkProperty(DIST_DIR).value(dist.toString()));
        options.add(frameworkProperty(SAMPLE_JAR).value(required(SAMPLE_JAR)));
        options.add(systemProperty("org.ops4j.pax.url.mvn.localRepository").value(required("maven.repo.local")));
        options.add(systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"));
        for (Path jar : shippedBundles(dist)) {
            options.add(bundle("reference:" + jar.toUri()));
        }
        options.add(junitBundles());
        return options.toArray(new Option[0]);
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set (run through Maven failsafe)");
        }
        return value;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
