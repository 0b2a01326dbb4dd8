package org.pot4j.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * {@code bin/pot serve}: the long-running server. Unlike the other sub-commands it keeps the
 * framework state in {@code state/felix-cache} across restarts (bundles installed from deploy/,
 * ConfigAdmin state), brings the cached bundles in line with bundle/ at every start, sets
 * {@code pot4j.kafka.enabled=true}, starts an embedded Kafka broker when no bootstrap servers
 * are configured, and stops in order on SIGTERM/SIGINT: the serve command's thread is
 * interrupted, the framework stops, then the broker, and the JVM exits 0.
 */
final class Server {

    static final String KAFKA_ENABLED = "pot4j.kafka.enabled";
    static final String BOOTSTRAP_PROPERTY = "pot4j.kafka.bootstrap.servers";
    static final String EMBEDDED_PORT_PROPERTY = "pot4j.kafka.embedded.port";
    static final String BOOTSTRAP_ENV = "POT4J_BOOTSTRAP";
    /** The Kafka bundle's configuration file (ConfigAdmin PID org.pot4j.kafka) and its bootstrap key. */
    static final String KAFKA_CONFIG_FILE = "org.pot4j.kafka.cfg";
    static final String KAFKA_CONFIG_BOOTSTRAP = "bootstrap_servers";
    /** Size and time of every bundle/ jar at the last start: a changed jar is updated in the cache. */
    static final String BUNDLE_STATE_FILE = "pot4j-bundles.properties";
    /** How long an interrupted serve command may take to return before its bundles are stopped under it. */
    private static final long INTERRUPT_GRACE_MILLIS = 5_000;
    private static final int LAST_START_LEVEL = 3;

    /** Where the bootstrap servers come from when the operator configured them. */
    record Bootstrap(String servers, String source, boolean passAsFrameworkProperty) {
    }

    private final Launcher launcher;
    private final Object lifecycle = new Object();
    private final AtomicInteger signals = new AtomicInteger();
    private volatile Thread commandThread;
    private volatile boolean commandRunning;
    private Framework framework; // guarded by lifecycle
    private AutoCloseable broker; // guarded by lifecycle

    Server(Launcher launcher) {
        this.launcher = launcher;
    }

    int run(List<String> args) throws Exception {
        commandThread = Thread.currentThread();
        Thread shutdownHook = new Thread(this::stopAll, "pot4j-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        installSignalHandlers();
        Path home = launcher.home();
        try {
            Map<String, String> extraProperties = new HashMap<>();
            extraProperties.put(KAFKA_ENABLED, "true");
            Bootstrap bootstrap = configuredBootstrap(home, System.getenv());
            if (bootstrap == null) {
                EmbeddedKafkaHandle embedded = startEmbeddedBroker(home);
                if (embedded == null) {
                    return 1;
                }
                extraProperties.put(BOOTSTRAP_PROPERTY, embedded.bootstrapServers());
                launcher.out().println("pot4j server: Kafka at " + embedded.bootstrapServers() + " (embedded)");
            } else {
                if (bootstrap.passAsFrameworkProperty()) {
                    extraProperties.put(BOOTSTRAP_PROPERTY, bootstrap.servers());
                }
                launcher.out().println("pot4j server: Kafka at " + bootstrap.servers() + " (" + bootstrap.source() + ")");
            }
            launcher.out().flush();
            if (launcher.stopRequested) {
                return 0;
            }
            Framework started = startFramework(home, extraProperties);
            if (launcher.stopRequested) {
                return 0;
            }
            int code;
            commandRunning = true;
            try {
                code = launcher.runCommand(started.getBundleContext(), Launcher.SERVE, args);
            } finally {
                commandRunning = false;
                Thread.interrupted(); // an interrupt that came late must not disturb the stop below
            }
            return launcher.stopRequested ? 0 : code;
        } finally {
            stopAll();
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running or ran: stopAll is idempotent
            }
        }
    }

    /**
     * Bootstrap servers the operator configured, or null: conf/org.pot4j.kafka.cfg's
     * bootstrap_servers (the bundle reads it through ConfigAdmin), -Dpot4j.kafka.bootstrap.servers
     * (a framework property already) or the environment variable POT4J_BOOTSTRAP (passed on as one).
     */
    static Bootstrap configuredBootstrap(Path home, Map<String, String> environment) throws IOException {
        Path configFile = home.resolve("conf").resolve(KAFKA_CONFIG_FILE);
        if (Files.isRegularFile(configFile)) {
            Properties config = new Properties();
            try (InputStream in = Files.newInputStream(configFile)) {
                config.load(in);
            }
            String servers = config.getProperty(KAFKA_CONFIG_BOOTSTRAP);
            if (servers != null && !servers.isBlank()) {
                return new Bootstrap(servers.trim(), "conf/" + KAFKA_CONFIG_FILE, false);
            }
        }
        String property = System.getProperty(BOOTSTRAP_PROPERTY);
        if (property != null && !property.isBlank()) {
            return new Bootstrap(property.trim(), "-D" + BOOTSTRAP_PROPERTY, false);
        }
        String variable = environment.get(BOOTSTRAP_ENV);
        if (variable != null && !variable.isBlank()) {
            return new Bootstrap(variable.trim(), BOOTSTRAP_ENV, true);
        }
        return null;
    }

    /** The broker's bootstrap address, kept apart from EmbeddedKafka so this class loads without Kafka. */
    interface EmbeddedKafkaHandle extends AutoCloseable {
        String bootstrapServers();
    }

    private EmbeddedKafkaHandle startEmbeddedBroker(Path home) throws Exception {
        Path state = Launcher.stateDirectory(home);
        Path logs = state.resolve("logs");
        Files.createDirectories(logs);
        // the broker logs through slf4j-simple (lib/kafka/): warnings and errors into a file, so the
        // console shows pot4j's own lines; -D on POT4J_JAVA_OPTS overrides either
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        setDefault("org.slf4j.simpleLogger.logFile", logs.resolve("kafka.log").toString());
        setDefault("org.slf4j.simpleLogger.showDateTime", "true");
        if (!brokerOnClassPath()) {
            launcher.err().println("pot: no Kafka bootstrap servers configured and the embedded broker is not on the class"
                    + " path (" + home.resolve("lib").resolve("kafka") + "/, added by bin/pot for serve); set "
                    + KAFKA_CONFIG_BOOTSTRAP + " in conf/" + KAFKA_CONFIG_FILE + ", -D" + BOOTSTRAP_PROPERTY
                    + " or " + BOOTSTRAP_ENV);
            return null;
        }
        int port = Integer.getInteger(EMBEDDED_PORT_PROPERTY, EmbeddedKafka.DEFAULT_PORT);
        EmbeddedKafka kafka;
        try {
            kafka = EmbeddedKafka.start(state.resolve("kafka"), port, logs.resolve("kafka.log"), launcher.err());
        } catch (Exception e) {
            launcher.err().println("pot: the embedded Kafka broker did not start: " + e
                    + " (its log: " + logs.resolve("kafka.log") + ")");
            return null;
        }
        EmbeddedKafkaHandle handle = new EmbeddedKafkaHandle() {
            @Override
            public String bootstrapServers() {
                return kafka.bootstrapServers();
            }

            @Override
            public void close() {
                kafka.close();
            }
        };
        synchronized (lifecycle) {
            broker = handle;
        }
        return handle;
    }

    /** Checked here, not in EmbeddedKafka: linking that class needs the broker's classes. */
    private static boolean brokerOnClassPath() {
        try {
            Class.forName("kafka.server.KafkaRaftServer", false, Server.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private Framework startFramework(Path home, Map<String, String> extraProperties) throws Exception {
        Path storage = Launcher.stateDirectory(home).resolve("felix-cache");
        Map<String, String> properties = Launcher.frameworkProperties(home, storage);
        if (System.getProperty(Constants.FRAMEWORK_STORAGE_CLEAN) == null) {
            properties.remove(Constants.FRAMEWORK_STORAGE_CLEAN); // the cache is kept: that is its point
        }
        // the cached bundles are started by the framework itself, so start levels give the order that
        // the other sub-commands get by starting one by one: ConfigAdmin, FileInstall, the rest
        properties.putIfAbsent(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, String.valueOf(LAST_START_LEVEL));
        properties.putIfAbsent("felix.startlevel.bundle", String.valueOf(LAST_START_LEVEL));
        // FileInstall starts a deploy/ bundle only when the bundle's level is active: its own level
        // (2) lets its first, synchronous scan start them as for the other sub-commands
        properties.putIfAbsent("felix.fileinstall.start.level", "2");
        for (Map.Entry<String, String> entry : extraProperties.entrySet()) {
            if (System.getProperty(entry.getKey()) == null) {
                properties.put(entry.getKey(), entry.getValue());
            }
        }
        dropBundlesWhoseJarIsGone(storage);
        Framework created = Launcher.newFramework(properties);
        created.init();
        synchronized (lifecycle) {
            framework = created;
        }
        synchronizeBundles(created.getBundleContext(), storage.resolve(BUNDLE_STATE_FILE));
        ShippedBundleGuard.register(created.getBundleContext(), home.resolve("bundle"), launcher.err());
        created.start();
        reportBundlesNotStarted(created.getBundleContext());
        return created;
    }

    /**
     * Makes the cached framework's bundles those of bundle/: a new jar is installed, a changed one
     * (other size or modification time than at the last start) updated, a removed one uninstalled.
     * Bundles that FileInstall installed from deploy/ are FileInstall's and left alone.
     */
    private void synchronizeBundles(BundleContext context, Path stateFile) throws IOException, InterruptedException {
        Properties previous = new Properties();
        if (Files.isRegularFile(stateFile)) {
            try (InputStream in = Files.newInputStream(stateFile)) {
                previous.load(in);
            }
        }
        Map<String, Bundle> cached = new HashMap<>();
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getBundleId() != 0 && bundle.getLocation().startsWith("reference:")) {
                cached.put(bundle.getLocation(), bundle);
            }
        }
        Properties current = new Properties();
        boolean changed = false;
        // cached bundles of jars that are not in bundle/ go first: a copied distribution's cache still points at the
        // original's jars, and installing the copy's beside them fails (same symbolic name and version)
        Set<String> wanted = new HashSet<>();
        for (Path jar : launcher.bundleJars()) {
            wanted.add(Launcher.location(jar));
        }
        for (Iterator<Map.Entry<String, Bundle>> it = cached.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Bundle> entry = it.next();
            if (!wanted.contains(entry.getKey())) {
                try {
                    entry.getValue().uninstall();
                    changed = true;
                } catch (BundleException e) {
                    launcher.err().println("pot: cannot uninstall " + entry.getValue().getSymbolicName() + ": "
                            + e.getMessage());
                }
                it.remove();
            }
        }
        for (Path jar : launcher.bundleJars()) {
            String location = Launcher.location(jar);
            String fingerprint = Files.size(jar) + "@" + Files.getLastModifiedTime(jar).toMillis();
            Bundle bundle = cached.remove(location);
            try {
                if (bundle == null) {
                    bundle = context.installBundle(location);
                } else if (!fingerprint.equals(previous.getProperty(location))) {
                    bundle.update();
                    changed = true;
                }
                current.setProperty(location, fingerprint);
                bundle.adapt(BundleStartLevel.class).setStartLevel(Launcher.startRank(bundle.getSymbolicName()) + 1);
                if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    bundle.start(); // marks it to be started: the framework starts it at its level
                }
            } catch (BundleException e) {
                launcher.err().println("pot: cannot install " + jar.getFileName() + ": " + e.getMessage());
            }
        }
        if (changed) {
            refresh(context);
        }
        Files.createDirectories(stateFile.getParent());
        try (OutputStream stream = Files.newOutputStream(stateFile)) {
            current.store(stream, "bundle/ jars at the last start of bin/pot serve (size@modified)");
        }
    }

    /**
     * A bundle/ jar removed since the last start (or the distribution moved): Felix would drop its
     * cached bundle itself, but with an error and a stack trace on the console. The cache keeps
     * each bundle's location on the second line of bundleN/bundle.info.
     */
    private static void dropBundlesWhoseJarIsGone(Path storage) throws IOException {
        if (!Files.isDirectory(storage)) {
            return;
        }
        List<Path> cachedBundles;
        try (var entries = Files.list(storage)) {
            cachedBundles = entries.filter(dir -> dir.getFileName().toString().matches("bundle[1-9][0-9]*")).toList();
        }
        for (Path dir : cachedBundles) {
            Path info = dir.resolve("bundle.info");
            if (!Files.isRegularFile(info)) {
                continue;
            }
            List<String> lines = Files.readAllLines(info);
            String location = lines.size() > 1 ? lines.get(1).trim() : "";
            if (!location.startsWith("reference:file:")) {
                continue;
            }
            try {
                Path jar = Path.of(java.net.URI.create(location.substring("reference:".length())));
                if (!Files.exists(jar)) {
                    Launcher.deleteQuietly(dir);
                }
            } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
                // not a plain file location: leave it to the framework
            }
        }
    }

    /** Drops the old revisions of updated and uninstalled bundles before anything resolves against them. */
    private static void refresh(BundleContext context) throws InterruptedException {
        CountDownLatch refreshed = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(null, event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED || event.getType() == FrameworkEvent.ERROR) {
                refreshed.countDown();
            }
        });
        refreshed.await(30, TimeUnit.SECONDS);
    }

    private void reportBundlesNotStarted(BundleContext context) {
        for (Bundle bundle : context.getBundles()) {
            boolean ours = bundle.getLocation().startsWith("reference:");
            if (!ours || bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null
                    || bundle.getState() == Bundle.ACTIVE || bundle.getState() == Bundle.STARTING) {
                continue;
            }
            try {
                bundle.start(); // again, to name the reason
            } catch (BundleException e) {
                launcher.err().println("pot: bundle " + bundle.getSymbolicName() + " did not start: " + e.getMessage());
            }
        }
    }

    /**
     * SIGTERM/SIGINT end serve in order instead of the JVM's default exit (status 143/130): the
     * command's thread is interrupted; if it has not returned within a grace period, its bundles are
     * stopped under it. A second signal halts at once.
     */
    private void installSignalHandlers() {
        CommandInterrupt.onStopSignals(this::onStopSignal);
    }

    private void onStopSignal() {
        if (signals.incrementAndGet() > 1) {
            launcher.err().println("pot: second stop signal: halting");
            Runtime.getRuntime().halt(130);
        }
        launcher.stopRequested = true;
        launcher.out().println("pot4j server: stopping");
        launcher.out().flush();
        Thread main = commandThread;
        if (commandRunning) {
            main.interrupt();
        }
        Thread watchdog = new Thread(() -> {
            try {
                main.join(INTERRUPT_GRACE_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            if (commandRunning) {
                stopFramework();
            }
        }, "pot4j-serve-stop");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    private void stopFramework() {
        Framework running;
        synchronized (lifecycle) {
            running = framework;
        }
        if (running != null) {
            Launcher.stop(running);
        }
    }

    /** Framework first (so the Kafka bundle closes its clients), then the broker. Idempotent. */
    private void stopAll() {
        synchronized (lifecycle) {
            if (framework != null) {
                Launcher.stop(framework);
                framework = null;
            }
            if (broker != null) {
                try {
                    broker.close();
                } catch (Exception e) {
                    // exiting anyway
                }
                broker = null;
            }
        }
    }
}
