package org.pot4j.itests.kafka;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.pot4j.testsupport.TestFiles;

/**
 * One real KRaft broker in the test JVM (loopback), the built distribution's launcher as child
 * processes ({@code pot serve} with its own home per server: own framework cache, same bundle/),
 * and plain Kafka clients to watch the topics.
 */
final class KafkaHarness implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.ALLOW_COMMENTS);
    static final Duration JOB_TIMEOUT = Duration.ofSeconds(180);
    static final java.util.Set<String> TERMINAL = java.util.Set.of("COMPLETED", "FAILED", "CANCELLED", "REJECTED");

    final KafkaClusterTestKit cluster;
    final String bootstrap;
    final Path dist;
    final Path work;
    /**
     * The servers' homes, beside work/ rather than in it: tests allow requests under work/, and a server refuses
     * an allowed root that contains its state folder (home/state).
     */
    final Path serverHomes;
    final Path examples;
    /** The repository's test slice ten times over (written on first use): 10,000 images for long jobs. */
    private TestFiles.IdxPair longDataset;
    private final List<ServerProcess> servers = new ArrayList<>();

    KafkaHarness() throws Exception {
        dist = Path.of(required("pot4j.dist")).toAbsolutePath().normalize();
        if (!Files.isDirectory(dist.resolve("bundle")) || !Files.isDirectory(dist.resolve("lib"))) {
            throw new IllegalStateException("no distribution at " + dist + ": build runtime first (mvn install)");
        }
        work = Path.of(required("pot4j.itest.work")).toAbsolutePath().normalize();
        examples = Path.of(required("pot4j.examples")).toAbsolutePath().normalize();
        serverHomes = work.resolveSibling(work.getFileName() + "-servers");
        deleteRecursively(work);
        deleteRecursively(serverHomes);
        Files.createDirectories(work);
        cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1)
                .setBaseDirectory(work.resolve("broker")).build())
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("group.min.session.timeout.ms", "3000")
                .setConfigProp("auto.create.topics.enable", "false")
                // one broker: the internal topics cannot have more replicas
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "4")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        bootstrap = cluster.bootstrapServers();
    }

    static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set (run through Maven failsafe)");
        }
        return value;
    }

    /** The topics of one test: prefix.requests, prefix.events, ... (so tests never see each other's records). */
    record Topics(String prefix) {
        String requests() {
            return prefix + ".requests";
        }

        String events() {
            return prefix + ".events";
        }

        String snapshots() {
            return prefix + ".snapshots";
        }

        String jobs() {
            return prefix + ".jobs";
        }

        String dlq() {
            return prefix + ".requests.dlq";
        }

        String control() {
            return prefix + ".control";
        }

        /** Trials over Kafka: the proposals, derived by the server from the requests topic's name. */
        String trials() {
            return prefix + ".trials";
        }

        /** Trials over Kafka: the compacted trial logs. */
        String trialLog() {
            return prefix + ".trial-log";
        }

        /** -D options that point the Kafka bundle (server and client commands) at these topics. */
        List<String> options(String bootstrap, String group, List<Path> roots, Path outputs) {
            List<String> options = new ArrayList<>(List.of(
                    "-Dpot4j.kafka.bootstrap.servers=" + bootstrap,
                    "-Dpot4j.kafka.requests.topic=" + requests(),
                    "-Dpot4j.kafka.events.topic=" + events(),
                    "-Dpot4j.kafka.snapshots.topic=" + snapshots(),
                    "-Dpot4j.kafka.jobs.topic=" + jobs(),
                    "-Dpot4j.kafka.dlq.topic=" + dlq(),
                    "-Dpot4j.kafka.control.topic=" + control(),
                    "-Dpot4j.kafka.group.id=" + group,
                    "-Dpot4j.kafka.session.timeout.ms=6000",
                    "-Dpot4j.kafka.lease.ms=8000",
                    "-Dpot4j.kafka.output.directory=" + outputs,
                    "-Dpot4j.kafka.allowed.roots=" + String.join(",", roots.stream().map(Path::toString).toList())));
            return options;
        }
    }

    /** A `pot serve` child process with its own home (bundle/ linked to the distribution's). */
    final class ServerProcess {
        final String name;
        final Process process;
        final Path log;
        final Path home;

        ServerProcess(String name, List<String> options) throws IOException {
            this.name = name;
            home = serverHomes.resolve(name);
            Files.createDirectories(home.resolve("deploy"));
            Files.createDirectories(home.resolve("data"));
            Files.createDirectories(home.resolve("conf"));
            try (Stream<Path> conf = Files.list(dist.resolve("conf"))) {
                for (Path file : conf.filter(Files::isRegularFile).toList()) {
                    if (!file.getFileName().toString().equals("org.pot4j.kafka.cfg")
                            && !Files.exists(home.resolve("conf").resolve(file.getFileName()))) { // a restart
                        Files.copy(file, home.resolve("conf").resolve(file.getFileName()));
                    }
                }
            }
            if (!Files.exists(home.resolve("bundle"))) {
                Files.createSymbolicLink(home.resolve("bundle"), dist.resolve("bundle"));
            }
            log = home.resolve("serve.log");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-Xmx512m");
            command.addAll(options);
            command.add("-Dpot4j.home=" + home);
            command.add("-cp");
            command.add(dist.resolve("lib") + "/*");
            command.add("org.pot4j.runtime.Launcher");
            command.add("serve");
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            servers.add(this);
        }

        String output() {
            try {
                return Files.exists(log) ? Files.readString(log) : "";
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        }

        void awaitServing() throws InterruptedException {
            waitUntil(name + " serving; its output:\n" + output(), Duration.ofSeconds(120),
                    () -> output().contains("pot4j serving:") || !process.isAlive());
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + output());
            }
        }

        /** SIGKILL: a crash, no clean-up at all. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        /** SIGTERM and wait for the exit code. */
        int stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                return -1;
            }
            return process.exitValue();
        }
    }

    ServerProcess startServer(String name, List<String> options) throws IOException {
        return new ServerProcess(name, options);
    }

    /** Runs `bin/pot ARGS` of the distribution with POT4J_JAVA_OPTS; returns exit code, stdout, stderr. */
    record Run(int exit, String out, String err) {
    }

    Run pot(List<String> options, Duration timeout, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(dist.resolve("bin").resolve("pot").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("POT4J_JAVA_OPTS", String.join(" ", options));
        builder.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        builder.environment().remove("POT4J_BOOTSTRAP");
        Path out = Files.createTempFile(work, "pot-out", ".txt");
        Path err = Files.createTempFile(work, "pot-err", ".txt");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("pot " + String.join(" ", args) + " did not end within " + timeout + "; stderr:\n"
                    + Files.readString(err));
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    KafkaProducer<String, byte[]> producer() {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    void send(String topic, String key, byte[] value) throws Exception {
        try (KafkaProducer<String, byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    /** Sends as a client with compression.type=gzip would: the broker takes a value far above 1 MB compressed. */
    void sendCompressed(String topic, String key, byte[] value) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1_048_576);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    /** Every record of {@code topics}, collected by a background thread from the beginning. */
    final class Recorder implements AutoCloseable {
        final List<ConsumerRecord<String, byte[]>> records = new CopyOnWriteArrayList<>();
        private final KafkaConsumer<String, byte[]> consumer;
        private final Thread thread;
        private volatile boolean closed;

        Recorder(List<String> topics) throws InterruptedException {
            Map<String, Object> props = new HashMap<>();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
            consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions = new ArrayList<>();
            waitUntil("topics " + topics, Duration.ofSeconds(60), () -> {
                partitions.clear();
                for (String topic : topics) {
                    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
                    if (infos == null || infos.isEmpty()) {
                        return false;
                    }
                    infos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
                }
                return true;
            });
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            thread = new Thread(() -> {
                try {
                    while (!closed) {
                        consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                    }
                } catch (org.apache.kafka.common.errors.WakeupException e) {
                    // closing
                } finally {
                    consumer.close();
                }
            }, "recorder");
            thread.start();
        }

        List<ConsumerRecord<String, byte[]>> of(String topic, String key) {
            return records.stream().filter(r -> r.topic().equals(topic) && key.equals(r.key())).toList();
        }

        List<Map<String, Object>> events(String topic, String jobId) {
            return of(topic, jobId).stream().map(r -> map(r.value())).toList();
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            consumer.wakeup();
            thread.join(10_000);
        }
    }

    static Map<String, Object> map(byte[] bytes) {
        try {
            return JSON.readValue(bytes, new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String header(ConsumerRecord<?, ?> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** The example configuration with absolute paths (what `pot submit` sends). */
    @SuppressWarnings("unchecked")
    Map<String, Object> exampleConfig(int statSubsetSize, boolean metrics) throws IOException {
        Map<String, Object> config = exampleJob("quantize.json");
        Map<String, Object> engine = (Map<String, Object>) config.get("engine");
        if (!metrics) {
            engine.put("metrics", List.of());
        }
        Map<String, Object> algorithm = (Map<String, Object>) ((List<Object>) ((Map<String, Object>) config
                .get("compression")).get("algorithms")).get(0);
        ((Map<String, Object>) algorithm.get("params")).put("stat_subset_size", statSubsetSize);
        return config;
    }

    /**
     * The shipped layer-tuning example (POT's best-practice TPE job, examples/fashion-mnist/tpe-layer.json) with
     * absolute paths, {@code maxTrials} trials evaluated on the first {@code evalSubset} images, and a short latency
     * benchmark ({@code benchmarkSeconds} per trial, one thread): a tuning job whose trials take about a second.
     */
    @SuppressWarnings("unchecked")
    Map<String, Object> tuningConfig(int maxTrials, int evalSubset, double benchmarkSeconds) throws IOException {
        Map<String, Object> config = exampleJob("tpe-layer.json");
        Map<String, Object> params = (Map<String, Object>) ((Map<String, Object>) config.get("optimizer")).get("params");
        params.put("max_trials", maxTrials);
        params.put("eval_subset_size", evalSubset);
        params.put("benchmark", new LinkedHashMap<>(Map.of("duration_seconds", benchmarkSeconds, "nthreads", 1,
                "batch_size", 1)));
        return config;
    }

    /** As {@link #tuningConfig(int, int, double)}, TunableQuantization's {@code tuning_scope} set to {@code scope}. */
    @SuppressWarnings("unchecked")
    Map<String, Object> tuningConfig(int maxTrials, int evalSubset, double benchmarkSeconds, List<String> scope)
            throws IOException {
        Map<String, Object> config = tuningConfig(maxTrials, evalSubset, benchmarkSeconds);
        for (Object algorithm : (List<Object>) ((Map<String, Object>) config.get("compression")).get("algorithms")) {
            Map<String, Object> a = (Map<String, Object>) algorithm;
            if ("TunableQuantization".equals(a.get("name"))) {
                ((Map<String, Object>) a.get("params")).put("tuning_scope", scope);
            }
        }
        return config;
    }

    /** A job file of examples/fashion-mnist with its model and dataset paths made absolute. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> exampleJob(String name) throws IOException {
        Path file = examples.resolve("fashion-mnist").resolve(name);
        Map<String, Object> config = JSON.readValue(Files.readString(file), LinkedHashMap.class);
        Path dir = file.getParent();
        Map<String, Object> model = (Map<String, Object>) config.get("model");
        model.put("model", dir.resolve((String) model.get("model")).toString());
        Map<String, Object> engine = (Map<String, Object>) config.get("engine");
        for (String dataset : List.of("dataset", "calibration_dataset")) {
            Map<String, Object> d = (Map<String, Object>) engine.get(dataset);
            for (String key : List.of("images", "labels")) {
                if (d.containsKey(key)) {
                    d.put(key, dir.resolve((String) d.get(key)).toString());
                }
            }
        }
        return config;
    }

    /** The example job evaluated on 10,000 images (the test slice ten times, under work/): runs long enough to kill or cancel. */
    @SuppressWarnings("unchecked")
    Map<String, Object> longConfig() throws IOException {
        if (longDataset == null) {
            longDataset = TestFiles.repeatedTestSet(work.resolve("data"), 10);
        }
        Map<String, Object> config = exampleConfig(300, true);
        Map<String, Object> dataset = (Map<String, Object>) ((Map<String, Object>) config.get("engine")).get("dataset");
        dataset.put("images", longDataset.images().toString());
        dataset.put("labels", longDataset.labels().toString());
        return config;
    }

    /** The -D options of a server or client command on {@code topics}, allowed to read the examples and work. */
    List<String> options(Topics topics, String group) {
        return topics.options(bootstrap, group, List.of(examples, work), work.resolve("outputs"));
    }

    /** The types of a job's events, in order. */
    static List<String> types(List<Map<String, Object>> events) {
        return events.stream().map(e -> String.valueOf(e.get("type"))).toList();
    }

    /** A tuning job's trial events (METRIC, stage trial), as published. */
    static List<Map<String, Object>> trialEvents(List<Map<String, Object>> events) {
        return events.stream().filter(e -> "METRIC".equals(e.get("type")) && "trial".equals(e.get("stage"))).toList();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> details(Map<String, Object> event) {
        return (Map<String, Object>) event.get("details");
    }

    /** How many of {@code trials} (trial events) each server measured. */
    static Map<String, Integer> perServer(List<Map<String, Object>> trials) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        trials.forEach(t -> counts.merge(String.valueOf(details(t).get("server")), 1, Integer::sum));
        return counts;
    }

    /** Waits (at most twice {@link #JOB_TIMEOUT}) for the job's end, and asserts it COMPLETED. */
    void awaitCompleted(Recorder recorder, String eventsTopic, String job) throws InterruptedException {
        waitUntil(job + " ended", JOB_TIMEOUT.multipliedBy(2), () -> ended(recorder.events(eventsTopic, job)));
        List<Map<String, Object>> events = recorder.events(eventsTopic, job);
        Map<String, Object> last = events.get(events.size() - 1);
        if (!"COMPLETED".equals(last.get("type"))) {
            throw new AssertionError(job + " did not complete: " + last);
        }
    }

    /** The latest record of each key of the trial-log topic {@code topic} whose log belongs to the output of {@code job}. */
    Map<String, Map<String, Object>> trialLog(Recorder recorder, String topic, String job) {
        Map<String, Map<String, Object>> latest = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> record : recorder.records) {
            if (record.topic().equals(topic) && record.key().contains("/" + job + "/")) {
                latest.put(record.key(), record.value() == null ? null : map(record.value()));
            }
        }
        return latest;
    }

    static boolean ended(List<Map<String, Object>> events) {
        return events.stream().anyMatch(e -> TERMINAL.contains(String.valueOf(e.get("type"))));
    }

    static void waitUntil(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within " + timeout);
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() throws Exception {
        for (ServerProcess server : servers) {
            if (server.process.isAlive()) {
                server.process.destroyForcibly();
                server.process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        cluster.close();
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
