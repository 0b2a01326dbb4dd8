package org.pot4j.runtime;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;

/**
 * Keeps deploy/ from replacing a shipped bundle. FileInstall, given a jar whose symbolic name and version are
 * installed already, updates that bundle with the jar instead of installing it, and uninstalls it when the jar goes:
 * a copy of {@code bundle/org.pot4j.algorithm.minmax-*.jar} dropped into deploy/ and removed again uninstalled the
 * shipped MinMax until the next start. A jar of another version would be installed beside the shipped one, two
 * bundles offering the same plugins.
 * <p>
 * This is an {@code ArtifactInstaller} service (registered by the launcher, before FileInstall starts, with the
 * highest ranking, so FileInstall asks it before its own bundle handling) that takes every deploy/ jar whose
 * Bundle-SymbolicName is that of a bundle installed from bundle/, whatever its version, and refuses it with one line
 * naming both jars; FileInstall then neither installs nor updates, nor, when the jar is removed, uninstalls anything.
 * The interface is FileInstall's (this class is outside the framework), hence the proxy.
 */
final class ShippedBundleGuard implements InvocationHandler {

    static final String FILEINSTALL = "org.apache.felix.fileinstall";
    private static final String INSTALLER = FILEINSTALL + ".ArtifactInstaller";
    private static final String LISTENER = FILEINSTALL + ".ArtifactListener";

    private final BundleContext context;
    private final String shippedPrefix;
    private final PrintStream err;

    private ShippedBundleGuard(BundleContext context, Path bundleDir, PrintStream err) {
        this.context = context;
        this.shippedPrefix = "reference:" + bundleDir.toAbsolutePath().normalize().toUri();
        this.err = err;
    }

    /** Registers the guard on the system bundle's {@code context}; a distribution without FileInstall needs none. */
    static void register(BundleContext context, Path bundleDir, PrintStream err) {
        Bundle fileInstall = null;
        for (Bundle bundle : context.getBundles()) {
            if (FILEINSTALL.equals(bundle.getSymbolicName())) {
                fileInstall = bundle;
            }
        }
        if (fileInstall == null) {
            return;
        }
        Class<?> installer;
        try {
            installer = fileInstall.loadClass(INSTALLER);
        } catch (ClassNotFoundException | IllegalStateException e) {
            err.println("pot: deploy/ cannot be guarded against copies of shipped bundles (" + e + ")");
            return;
        }
        Object service = Proxy.newProxyInstance(installer.getClassLoader(), new Class<?>[] {installer},
                new ShippedBundleGuard(context, bundleDir, err));
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(Constants.SERVICE_RANKING, Integer.MAX_VALUE);
        properties.put(Constants.SERVICE_DESCRIPTION, "pot4j: refuses deploy/ jars of shipped bundles");
        context.registerService(new String[] {INSTALLER, LISTENER}, service, properties);
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) {
        switch (method.getName()) {
            case "canHandle":
                return shippedJar((File) args[0]) != null;
            case "install":
            case "update":
                refuse((File) args[0]);
                return null;
            case "uninstall":
                err.println("pot: deploy/" + ((File) args[0]).getName() + " (refused) removed; the shipped bundle"
                        + " stays");
                err.flush();
                return null;
            case "hashCode":
                return System.identityHashCode(proxy);
            case "equals":
                return proxy == args[0];
            case "toString":
                return "pot4j shipped-bundle guard";
            default:
                return null;
        }
    }

    private void refuse(File jar) {
        String[] shipped = shippedJar(jar);
        if (shipped == null) {
            return; // no longer a shipped name (the jar changed): FileInstall asks canHandle again on its next change
        }
        err.println("pot: deploy/" + jar.getName() + " is not installed: its Bundle-SymbolicName " + shipped[0]
                + " is that of the shipped bundle/" + shipped[1] + ", which stays as it is (give the jar another"
                + " symbolic name, or replace the jar in bundle/ and restart)");
        err.flush();
    }

    /** {symbolic name, shipped jar's file name} when {@code artifact} is a jar with a shipped bundle's name, else null. */
    private String[] shippedJar(File artifact) {
        if (!artifact.getName().endsWith(".jar") || !artifact.isFile()) {
            return null;
        }
        String name;
        try (JarFile jar = new JarFile(artifact)) {
            Manifest manifest = jar.getManifest();
            name = manifest == null ? null : manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
        } catch (IOException | SecurityException e) {
            return null; // not a jar FileInstall can install either: its own message says so
        }
        if (name == null) {
            return null;
        }
        String symbolicName = name.split(";")[0].trim();
        for (Bundle bundle : context.getBundles()) {
            String location = bundle.getLocation();
            if (symbolicName.equals(bundle.getSymbolicName()) && location.startsWith(shippedPrefix)) {
                return new String[] {symbolicName, location.substring(location.lastIndexOf('/') + 1)};
            }
        }
        return null;
    }
}
