package org.pot4j.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.function.BooleanSupplier;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.pot4j.api.registry.PluginInfo;
import org.pot4j.api.registry.PluginKind;
import org.pot4j.api.registry.PluginRegistry;

/** A plugin bundle dropped into the watched directory goes live, and leaves when its jar is removed. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotDeployIT {

    private static final String SAMPLE = "SampleNoOp";
    private static final String SAMPLE_BUNDLE = "org.pot4j.itests.sample";
    /** Generous bound for slow CI machines; the measured time is printed. */
    private static final long WAIT_MILLIS = 30_000;

    @Inject
    private BundleContext context;

    @Inject
    private PluginRegistry registry;

    @Configuration
    public Option[] configuration() {
        return RuntimeOptions.runtime("hot-deploy");
    }

    private long waitUntil(String what, BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - start > WAIT_MILLIS * 1_000_000) {
                fail(what + " did not happen within " + WAIT_MILLIS + " ms; registry: " + registry.plugins());
            }
            Thread.sleep(50);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    private boolean sampleBundleInstalled() {
        return Arrays.stream(context.getBundles()).anyMatch(bundle -> SAMPLE_BUNDLE.equals(bundle.getSymbolicName()));
    }

    @Test
    public void deployedBundleIsListedThenGoneAfterRemovalWithoutRestartingFelix() throws Exception {
        Path deploy = Path.of(context.getProperty(RuntimeOptions.DEPLOY_DIR));
        Path staging = Path.of(context.getProperty(RuntimeOptions.STAGING_DIR));
        Path sampleJar = Path.of(context.getProperty(RuntimeOptions.SAMPLE_JAR));
        Bundle systemBundle = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION);
        String frameworkUuid = context.getProperty(Constants.FRAMEWORK_UUID);
        ServiceReference<PluginRegistry> registryReference = context.getServiceReference(PluginRegistry.class);
        assertTrue("sample jar built: " + sampleJar, Files.isRegularFile(sampleJar));
        assertFalse(registry.algorithm(SAMPLE).isPresent());
        assertFalse(sampleBundleInstalled());

        // copy beside, then rename into place: FileInstall never sees a half-written jar
        Path staged = Files.copy(sampleJar, staging.resolve("sample-algorithm.jar"), StandardCopyOption.REPLACE_EXISTING);
        Path deployed = deploy.resolve("sample-algorithm.jar");
        Files.move(staged, deployed, StandardCopyOption.ATOMIC_MOVE);

        long upMillis = waitUntil("deploy of " + SAMPLE, () -> registry.algorithm(SAMPLE).isPresent());
        PluginInfo info = registry.info(PluginKind.ALGORITHM, SAMPLE).orElseThrow();
        assertEquals(SAMPLE_BUNDLE, info.bundle());
        assertTrue(registry.plugins().contains(info));
        assertTrue(registry.names(PluginKind.ALGORITHM).contains(SAMPLE));

        Files.delete(deployed);

        long goneMillis = waitUntil("undeploy of " + SAMPLE, () -> registry.algorithm(SAMPLE).isEmpty());
        waitUntil("uninstall of " + SAMPLE_BUNDLE, () -> !sampleBundleInstalled());
        assertFalse(registry.names(PluginKind.ALGORITHM).contains(SAMPLE));
        assertTrue(registry.plugins().stream().noneMatch(plugin -> plugin.name().equals(SAMPLE)));

        // the same framework and the same registry service all along
        assertSame(systemBundle, context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION));
        assertEquals(Bundle.ACTIVE, systemBundle.getState());
        assertEquals(frameworkUuid, context.getProperty(Constants.FRAMEWORK_UUID));
        assertEquals(registryReference.getProperty(Constants.SERVICE_ID),
                context.getServiceReference(PluginRegistry.class).getProperty(Constants.SERVICE_ID));
        System.out.println("HotDeployIT: " + SAMPLE + " listed " + upMillis + " ms after the jar appeared, gone "
                + goneMillis + " ms after it was deleted");
    }
}
