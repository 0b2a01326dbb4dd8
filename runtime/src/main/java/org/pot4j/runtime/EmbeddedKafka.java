package org.pot4j.runtime;

import java.io.IOException;
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
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * The single-node KRaft broker that {@code bin/pot serve} starts when no Kafka is configured:
 * broker and controller in one process, loopback only, its log in {@code data/kafka} so that
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
    static EmbeddedKafka start(Path logDir, int preferredPort) throws Exception {
        Files.createDirectories(logDir);
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
