package org.pot4j.runtime;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.util.tracker.ServiceTracker;

/**
 * {@code bin/pot <sub-command> [args]}: starts Felix with every bundle of the distribution's
 * {@code bundle/} directory, FileInstall watching {@code deploy/} and {@code conf/}, runs the
 * {@code Command} service registered with {@code pot4j.command=<sub-command>} and exits with
 * its code. This class sits outside the framework, so it sees the command only through
 * reflection (the API package lives in a bundle).
 */
public final class Launcher {

    static final String COMMAND_INTERFACE = "org.pot4j.api.command.Command";
    static final String COMMAND_PROPERTY = "pot4j.command";
    static final String DESCRIPTION_PROPERTY = "pot4j.command.description";
    /** The long-running sub-command keeps its framework state in state/; every other run starts clean. */
    static final String SERVE = "serve";
    /**
     * Framework property: the server's own state folder (embedded broker log, serve's framework cache, statistics
     * cache, logs). No request may read or write in it; the Kafka bundle refuses allowed roots that overlap it.
     */
    public static final String STATE_PROPERTY = "pot4j.state.dir";
    /** The state folder under the distribution unless -Dpot4j.state.dir says otherwise. */
    static final String STATE_FOLDER = "state";
    private static final String CONFIGADMIN = "org.apache.felix.configadmin";
    private static final String FILEINSTALL = "org.apache.felix.fileinstall";

    private final Path home;
    private final PrintStream out;
    private final PrintStream err;
    /** Set when serve was asked to stop, before the command's thread is interrupted. */
    volatile boolean stopRequested;

    Launcher(Path home, PrintStream out, PrintStream err) {
        this.home = home;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        Path home = Path.of(System.getProperty("pot4j.home", defaultHome().toString())).toAbsolutePath().normalize();
        int code;
        try {
            code = new Launcher(home, System.out, System.err).run(List.of(args));
        } catch (Exception e) {
            System.err.println("pot: " + e);
            code = 1;
        }
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** The distribution directory: the parent of lib/, where this class's jar lives. */
    private static Path defaultHome() {
        try {
            Path jar = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.getParent().getParent();
        } catch (Exception e) {
            return Path.of(".");
        }
    }

    int run(List<String> args) throws Exception {
        String commandName = args.isEmpty() ? null : args.get(0);
        List<String> commandArgs = args.isEmpty() ? List.of() : args.subList(1, args.size());
        StateFolder.migrate(home, stateDirectory(home), err);
        if (SERVE.equals(commandName) && !helpRequested(commandArgs)) {
            return new Server(this).run(commandArgs);
        }
        Path storage = Files.createTempDirectory("pot4j-felix-");
        Framework framework = null;
        Thread cleanup = new Thread(() -> deleteQuietly(storage), "pot4j-storage-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        CommandInterrupt interrupt = CommandInterrupt.install(Thread.currentThread(), err);
        try {
            framework = startFramework(storage);
            int code = runCommand(framework.getBundleContext(), commandName, commandArgs);
            return interrupt.signalled() ? CommandInterrupt.EXIT_CODE : code;
        } finally {
            if (framework != null) {
                stop(framework);
            }
            deleteQuietly(storage);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running anyway
            }
        }
    }

    Path home() {
        return home;
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    /**
     * The framework properties of a distribution at {@code home}, framework state in {@code storage}.
     * Public so that the itests boot Felix exactly as bin/pot does.
     */
    public static Map<String, String> frameworkProperties(Path home, Path storage) {
        Map<String, String> properties = new HashMap<>();
        properties.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        properties.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        // protobuf (embedded in org.pot4j.onnx.proto) uses sun.misc.Unsafe when it can
        properties.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "sun.misc");
        properties.put("felix.log.level", "1");
        properties.put("ds.loglevel", "warn");
        properties.put("felix.cm.loglevel", "1");
        properties.put("felix.fileinstall.dir", home.resolve("deploy") + "," + home.resolve("conf"));
        properties.put("felix.fileinstall.poll", "500");
        properties.put("felix.fileinstall.noInitialDelay", "true");
        properties.put("felix.fileinstall.log.level", "2");
        properties.put("felix.fileinstall.bundles.new.start", "true");
        // bundles and configurations only: job templates and notes may sit in conf/ too
        properties.put("felix.fileinstall.filter", ".*\\.(jar|cfg|config)");
        // conf/ is the operator's: ConfigAdmin changes are not written back into it
        properties.put("felix.fileinstall.enableConfigSave", "false");
        properties.put("pot4j.home", home.toString());
        // Felix HTTP (the console) opens no port unless the console bundle configures it (under serve), and then on
        // loopback unless conf/org.pot4j.console.cfg says otherwise
        properties.put("org.apache.felix.http.enable", "false");
        properties.put("org.apache.felix.http.host", "127.0.0.1");
        properties.put(STATE_PROPERTY, stateDirectory(home).toString());
        // -Dkey=value on the java command line overrides any of the above
        for (String key : System.getProperties().stringPropertyNames()) {
            if (properties.containsKey(key) || key.startsWith("felix.") || key.startsWith("org.osgi.")
                    || key.startsWith("pot4j.") || key.startsWith("org.apache.felix.http.")) {
                properties.put(key, System.getProperty(key));
            }
        }
        return properties;
    }

    /** The server's state folder: {@code -Dpot4j.state.dir} (relative: to {@code home}), else {@code home/state}. */
    public static Path stateDirectory(Path home) {
        String configured = System.getProperty(STATE_PROPERTY);
        Path state = configured == null || configured.isBlank() ? home.resolve(STATE_FOLDER) : home.resolve(configured.trim());
        return state.toAbsolutePath().normalize();
    }

    static Framework newFramework(Map<String, String> properties) {
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, Launcher.class.getClassLoader())
                .findFirst().orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"));
        return factory.newFramework(properties);
    }

    /** The distribution's bundle jars, sorted by name. */
    List<Path> bundleJars() throws IOException {
        Path bundleDir = home.resolve("bundle");
        try (Stream<Path> files = Files.list(bundleDir)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new IOException("cannot list the bundle directory " + bundleDir + ": " + e.getMessage(), e);
        }
    }

    /** reference: leaves the jar where it is instead of copying it into the framework storage. */
    static String location(Path jar) {
        return "reference:" + jar.toUri();
    }

    private Framework startFramework(Path storage) throws BundleException, IOException {
        Framework framework = newFramework(frameworkProperties(home, storage));
        framework.init();
        framework.start();
        BundleContext context = framework.getBundleContext();

        List<Path> jars = bundleJars();
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jars) {
            String location = location(jar);
            try {
                installed.add(context.installBundle(location));
            } catch (BundleException e) {
                err.println("pot: cannot install " + jar.getFileName() + ": " + e.getMessage());
            }
        }
        ShippedBundleGuard.register(context, home.resolve("bundle"), err);
        installed.sort(Comparator.comparingInt((Bundle bundle) -> startRank(bundle.getSymbolicName())));
        for (Bundle bundle : installed) {
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
                continue;
            }
            try {
                bundle.start();
            } catch (BundleException e) {
                err.println("pot: bundle " + bundle.getSymbolicName() + " did not start: " + e.getMessage());
            }
        }
        return framework;
    }

    /**
     * Start order: ConfigAdmin, then FileInstall (whose first scan of conf/ and deploy/ is
     * synchronous), then the rest. So every shipped configuration is in ConfigAdmin before any
     * component activates, and no component is reconfigured right after start-up.
     */
    public static int startRank(String symbolicName) {
        if (CONFIGADMIN.equals(symbolicName)) {
            return 0;
        }
        return FILEINSTALL.equals(symbolicName) ? 1 : 2;
    }

    int runCommand(BundleContext context, String commandName, List<String> args) throws Exception {
        Map<String, CommandDeclarations.Declaration> declared =
                CommandDeclarations.declaredCommands(context.getBundles());
        if (commandName == null || commandName.equals("help") || commandName.equals("--help")
                || commandName.equals("-h")) {
            printUsage(declared, commandName == null ? err : out);
            return commandName == null ? 2 : 0;
        }
        if (!declared.containsKey(commandName)) {
            err.println("pot: unknown sub-command '" + commandName + "'");
            printUsage(declared, err);
            return 2;
        }
        if (SERVE.equals(commandName) && helpRequested(args)) {
            // serve's own help: it would start a broker and a server before reading its arguments
            out.println("usage: pot " + declared.get(commandName).description());
            return 0;
        }
        Bundle provider = declared.get(commandName).bundle();
        if (provider.getState() != Bundle.ACTIVE) {
            err.println("pot: sub-command '" + commandName + "' is unavailable: its bundle " + provider.getSymbolicName()
                    + " is not active (see the messages above)");
            return 1;
        }
        Object command = awaitCommand(context, commandName);
        if (command == null) {
            err.println("pot: sub-command '" + commandName + "' is declared but its service did not come up within "
                    + commandTimeoutMillis() + " ms (a required service is missing?)");
            return 1;
        }
        return invoke(command, args);
    }

    private static boolean helpRequested(List<String> args) {
        return args.contains("-h") || args.contains("--help");
    }

    private Object awaitCommand(BundleContext context, String commandName) throws Exception {
        String filter = "(&(" + Constants.OBJECTCLASS + "=" + COMMAND_INTERFACE + ")(" + COMMAND_PROPERTY + "="
                + commandName + "))";
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context, FrameworkUtil.createFilter(filter), null);
        tracker.open(true);
        // the tracker stays open while the command runs so the service is not released under it
        Object command = tracker.waitForService(commandTimeoutMillis());
        return command;
    }

    private static long commandTimeoutMillis() {
        return Long.getLong("pot4j.command.timeout", 30_000L);
    }

    private int invoke(Object command, List<String> args) throws Exception {
        Method execute = findExecute(command.getClass());
        try {
            Object code = execute.invoke(command, List.copyOf(args), out, err);
            return ((Number) code).intValue();
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (stopRequested && cause instanceof InterruptedException) {
                return 0; // asked to stop (SIGTERM/SIGINT): an orderly end, not a failure
            }
            err.println("pot: " + (cause.getMessage() != null ? cause.getMessage() : cause.toString()));
            if (Boolean.getBoolean("pot4j.debug")) {
                cause.printStackTrace(err);
            }
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The interface's method, so the implementation class need not be public or exported. */
    static Method findExecute(Class<?> type) throws NoSuchMethodException {
        for (Class<?> current = type; current != null; current = current.getSuperclass()) {
            for (Class<?> candidate : current.getInterfaces()) {
                if (candidate.getName().equals(COMMAND_INTERFACE)) {
                    return candidate.getMethod("execute", List.class, PrintStream.class, PrintStream.class);
                }
            }
        }
        throw new NoSuchMethodException(type.getName() + " does not implement " + COMMAND_INTERFACE);
    }

    private static void printUsage(Map<String, CommandDeclarations.Declaration> declared, PrintStream stream) {
        stream.println("usage: pot <sub-command> [options]");
        stream.println();
        stream.println("sub-commands:");
        int width = declared.keySet().stream().mapToInt(String::length).max().orElse(0);
        new TreeMap<>(declared).forEach((name, description) ->
                stream.println("  " + name + " ".repeat(width - name.length() + 2) + description.description()));
        if (declared.isEmpty()) {
            stream.println("  (none: is the org.pot4j.cli bundle in bundle/?)");
        }
    }

    static void stop(Framework framework) {
        try {
            framework.stop();
            framework.waitForStop(30_000); // the job service waits up to 20 s for running jobs to stop
        } catch (Exception e) {
            // exiting anyway; the storage is deleted below
        }
    }

    static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind is harmless
        }
    }
}
