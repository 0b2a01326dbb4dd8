package org.pot4j.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
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
import org.osgi.framework.Version;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.pot4j.api.registry.PluginInfo;
import org.pot4j.api.registry.PluginRegistry;

/** What the runtime ships, booted as bin/pot boots it: everything resolves, starts and keeps its borders. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShippedBundlesIT {

    @Inject
    private BundleContext context;

    @Inject
    private PluginRegistry registry;

    @Configuration
    public Option[] configuration() {
        return RuntimeOptions.runtime("shipped");
    }

    private List<Bundle> shippedBundles() throws Exception {
        List<Bundle> bundles = new ArrayList<>();
        Path bundleDir = Path.of(context.getProperty(RuntimeOptions.DIST_DIR)).resolve("bundle");
        try (Stream<Path> jars = Files.list(bundleDir)) {
            for (Path jar : jars.filter(path -> path.toString().endsWith(".jar")).sorted().toList()) {
                Bundle bundle = context.getBundle("reference:" + jar.toUri());
                assertNotNull("shipped jar " + jar.getFileName() + " is not installed", bundle);
                bundles.add(bundle);
            }
        }
        return bundles;
    }

    private static boolean isFragment(Bundle bundle) {
        return bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null;
    }

    @Test
    public void everyShippedBundleIsActive() throws Exception {
        List<Bundle> bundles = shippedBundles();
        assertTrue("the distribution ships bundles", bundles.size() > 10);
        List<String> notActive = new ArrayList<>();
        for (Bundle bundle : bundles) {
            int expected = isFragment(bundle) ? Bundle.RESOLVED : Bundle.ACTIVE;
            if (bundle.getState() != expected) {
                notActive.add(bundle.getSymbolicName() + " (state " + bundle.getState() + ")");
            }
        }
        assertEquals("bundles that are not ACTIVE", List.of(), notActive);
        System.out.println("ShippedBundlesIT: " + bundles.size() + " shipped bundles ACTIVE");
    }

    @Test
    public void noBundleImportsAnotherBundlesInternalPackage() throws Exception {
        List<String> violations = new ArrayList<>();
        // the shipped bundles only: Pax Exam's own test bundles are not ours to police
        for (Bundle bundle : shippedBundles()) {
            BundleWiring wiring = bundle.adapt(BundleWiring.class);
            if (wiring == null) {
                continue;
            }
            for (BundleWire wire : wiring.getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE)) {
                String pkg = (String) wire.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE);
                boolean internal = pkg.endsWith(".internal") || pkg.contains(".internal.");
                if (internal && wire.getProvider().getBundle() != bundle) {
                    violations.add(bundle.getSymbolicName() + " imports " + pkg + " from "
                            + wire.getProvider().getSymbolicName());
                }
            }
        }
        assertEquals(List.of(), violations);
    }

    @Test
    public void pot4jBundlesExportOnlyVersionedNonInternalPackages() throws Exception {
        List<String> violations = new ArrayList<>();
        Set<String> exported = new TreeSet<>();
        for (Bundle bundle : shippedBundles()) {
            if (!bundle.getSymbolicName().startsWith("org.pot4j.")) {
                continue;
            }
            BundleRevision revision = bundle.adapt(BundleRevision.class);
            for (BundleCapability export : revision.getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE)) {
                String pkg = (String) export.getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE);
                Version version = (Version) export.getAttributes().get(PackageNamespace.CAPABILITY_VERSION_ATTRIBUTE);
                exported.add(pkg + ";" + version);
                if (version == null || Version.emptyVersion.equals(version)) {
                    violations.add(bundle.getSymbolicName() + " exports " + pkg + " without a version");
                }
                if (pkg.contains(".internal")) {
                    violations.add(bundle.getSymbolicName() + " exports internal package " + pkg);
                }
            }
        }
        assertEquals(List.of(), violations);
        assertTrue("the API is exported: " + exported, exported.stream().anyMatch(p -> p.startsWith("org.pot4j.api.registry;")));
    }

    @Test
    public void registryListsOnlyPluginsOfActiveBundles() throws Exception {
        List<PluginInfo> plugins = registry.plugins();
        for (PluginInfo plugin : plugins) {
            Bundle provider = context.getBundle(plugin.bundleId());
            assertNotNull(plugin.toString(), provider);
            assertEquals(plugin.toString(), provider.getSymbolicName(), plugin.bundle());
            assertEquals(plugin.toString(), provider.getVersion().toString(), plugin.version());
            assertEquals(plugin.toString(), Bundle.ACTIVE, provider.getState());
        }
        // TunableQuantization activates only with MinMaxQuantization bound (static reference); Tpe is the one optimizer
        assertTrue("TunableQuantization is live", registry.algorithm("TunableQuantization").isPresent());
        assertTrue("optimizer Tpe is live", registry.optimizer("Tpe").isPresent());
        assertFalse("the sample algorithm is not shipped",
                plugins.stream().anyMatch(plugin -> plugin.name().equals("SampleNoOp")));
        System.out.println("ShippedBundlesIT: registry lists " + plugins.size() + " plugins");
    }

    @Test
    public void everyShippedConfigurationReachesItsComponent() throws Exception {
        Path conf = Path.of(context.getProperty(RuntimeOptions.DIST_DIR)).resolve("conf");
        List<String> pids;
        try (Stream<Path> files = Files.list(conf)) {
            pids = files.map(file -> file.getFileName().toString())
                    .filter(name -> name.endsWith(".cfg") || name.endsWith(".config"))
                    .filter(name -> !name.contains("-")) // factory configurations have no single target
                    .map(name -> name.substring(0, name.lastIndexOf('.')))
                    .sorted().toList();
        }
        List<String> unconfigured = new ArrayList<>();
        for (String pid : pids) {
            // DS publishes service.pid on the services of a component that received its configuration
            ServiceReference<?>[] configured = context.getAllServiceReferences(null, "(service.pid=" + pid + ")");
            if (configured == null) {
                unconfigured.add(pid);
            }
        }
        assertEquals("shipped configurations that no component received", List.of(), unconfigured);
        System.out.println("ShippedBundlesIT: configurations applied: " + pids);
    }
}
