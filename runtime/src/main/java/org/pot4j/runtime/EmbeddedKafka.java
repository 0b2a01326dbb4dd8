package org.pot4j.runtime;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * The single-node KRaft broker that {@code bin/pot serve} starts when no Kafka is configured:
 * broker and controller in one process, loopback only, its log in {@code state/kafka} so that
 * queued requests survive a restart. This class refers to the broker's classes, which are only
 * on serve's class path (lib/kafka/): the launcher touches it for serve alone.
 */
final class EmbeddedKafka implements AutoCloseable {

    static final String HOST = "127.0.0.1";
    static final int DEFAULT_PORT = 9092;
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    private final KafkaRaftServer server;
    private final int port;

    private EmbeddedKafka(KafkaRaftServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /**
     * Formats {@code logDir} on first use (a new cluster id; later starts reuse the formatted
     * storage and so every topic and record) and starts the broker on {@code preferredPort}, or on
     * a free port when that one is taken.
     */
    static EmbeddedKafka start(Path logDir, int preferredPort, Path logFile, PrintStream err) throws Exception {
        Files.createDirectories(logDir);
        reportFatalExits(logFile, err);
        int port = portAvailable(preferredPort) ? preferredPort : freePort();
        // static quorum of one voter: the controller's address lives in the configuration, not in
        // the storage, so it may take another free port at every start
        int controllerPort = freePort();
        Map<String, Object> config = new HashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", String.valueOf(NODE_ID));
        config.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        config.put("listeners", "PLAINTEXT://" + HOST + ":" + port + "," + CONTROLLER_LISTENER + "://" + HOST + ":"
                + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        config.put("controller.listener.names", CONTROLLER_LISTENER);
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        config.put("log.dirs", logDir.toString());
        config.put("auto.create.topics.enable", "true");
        config.put("num.partitions", "1");
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "1");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("transaction.state.log.num.partitions", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        // a single consumer (the server) should not wait for others to join before it gets partitions
        config.put("group.initial.rebalance.delay.ms", "0");
        KafkaConfig kafkaConfig = new KafkaConfig(config, false);

        if (!Files.exists(logDir.resolve("meta.properties"))) {
            format(kafkaConfig, logDir);
        }
        KafkaRaftServer server = new KafkaRaftServer(kafkaConfig, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException | Error e) {
            shutdownQuietly(server);
            throw e;
        }
        return new EmbeddedKafka(server, port);
    }

    /**
     * The broker ends the process on a fatal fault (e.g. a folder in its log directory that is not a partition:
     * "Encountered fatal fault" and {@code Exit.halt(1)}), which left {@code bin/pot serve} exiting 1 without a word,
     * the reason in its log file only. The broker's exit and halt now say why on stderr first: the last error of
     * its log since this start.
     */
    private static void reportFatalExits(Path logFile, PrintStream err) {
        Exit.Procedure report = (code, message) -> {
            err.println("pot: the embedded Kafka broker stopped the server (exit code " + code + "): "
                    + (message != null && !message.isBlank() ? message + "; " : "")
                    + lastError(logFile) + " (its log: " + logFile + ")");
            err.flush();
            Runtime.getRuntime().halt(code == 0 ? 1 : code);
        };
        Exit.setExitProcedure(report);
        Exit.setHaltProcedure(report);
    }

    /**
     * The last ERROR of {@code logFile} (slf4j-simple starts it afresh at every start) without its time and
     * logger, with the lines of its exception up to the stack trace.
     */
    static String lastError(Path logFile) {
        List<String> lines;
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(logFile.toFile(), "r")) {
            byte[] tail = new byte[(int) Math.min(file.length(), 1 << 20)];
            file.seek(file.length() - tail.length);
            file.readFully(tail);
            lines = new String(tail, java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        } catch (IOException | RuntimeException e) {
            return "no error in its log";
        }
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i);
            int level = line.indexOf(" ERROR ");
            if (level >= 0) {
                int text = line.indexOf(" - ", level);
                StringBuilder found = new StringBuilder(text >= 0 ? line.substring(text + 3) : line.substring(level + 1));
                for (int j = i + 1; j < lines.size() && j <= i + 3; j++) {
                    String next = lines.get(j).trim();
                    if (next.startsWith("at ") || next.contains(" ERROR ") || next.contains(" WARN ")) {
                        break;
                    }
                    found.append(" ").append(next);
                }
                return found.toString();
            }
        }
        return "no error in its log";
    }

    /** What {@code kafka-storage.sh format} does, for one node that is broker and controller. */
    private static void format(KafkaConfig config, Path logDir) throws Exception {
        new Formatter()
                .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                .setNodeId(NODE_ID)
                .setClusterId(Uuid.randomUuid().toString())
                .setReleaseVersion(MetadataVersion.latestProduction())
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setMetadataLogDirectory(logDir.toString())
                .setDirectories(List.of(logDir.toString()))
                .setIgnoreFormatted(true)
                .run();
    }

    String bootstrapServers() {
        return HOST + ":" + port;
    }

    int port() {
        return port;
    }

    /** Stops the broker and waits until its log is closed (so the next start needs no recovery). */
    @Override
    public void close() {
        shutdownQuietly(server);
    }

    private static void shutdownQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            // exiting anyway; Kafka recovers an unclean log at the next start
        }
    }

    static boolean portAvailable(int port) {
        if (port <= 0 || port > 65535) {
            return false;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
            return socket.getLocalPort();
        }
    }
}
