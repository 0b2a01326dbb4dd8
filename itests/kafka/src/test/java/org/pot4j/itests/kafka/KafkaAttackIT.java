package org.pot4j.itests.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pot4j.itests.kafka.KafkaHarness.JOB_TIMEOUT;
import static org.pot4j.itests.kafka.KafkaHarness.ended;
import static org.pot4j.itests.kafka.KafkaHarness.types;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 (kafka): what producers other than `pot submit` may send. Every compression codec carries a job; a
 * batch whose compressed payload is garbage goes to the DLQ and its partition goes on; malformed requests of every
 * codec leave the consumer in its group (a request keyed otherwise than its job_id is answered under its key, a raw
 * cancel for an unknown id is ignored); a server killed mid-job leaves no (job id, sequence) twice on the events
 * topic and its run is marked abandoned by the server that takes the job over.
 */
class KafkaAttackIT {
    private static final List<String> CODECS = List.of("zstd", "snappy", "lz4", "gzip");
    private static KafkaHarness kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = new KafkaHarness();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    private static String last(List<Map<String, Object>> events) {
        return events.isEmpty() ? null : String.valueOf(events.get(events.size() - 1).get("type"));
    }

    private static KafkaProducer<String, byte[]> producer(String codec) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1_048_576);
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private static RecordMetadata send(KafkaProducer<String, byte[]> producer, ProducerRecord<String, byte[]> record)
            throws Exception {
        return producer.send(record).get(30, TimeUnit.SECONDS);
    }

    private static byte[] job(String id, Map<String, Object> config) {
        return KafkaHarness.json(Map.of("job_id", id, "config", config));
    }

    /** The server's topics, created here so that records can be placed (and corrupted) before it starts. */
    private static void createTopics(KafkaHarness.Topics topics) throws Exception {
        try (Admin admin = kafka.cluster.admin()) {
            List<NewTopic> all = new ArrayList<>();
            for (String topic : List.of(topics.requests(), topics.events(), topics.snapshots(), topics.control(),
                    topics.dlq())) {
                all.add(new NewTopic(topic, Optional.of(4), Optional.empty()));
            }
            all.add(new NewTopic(topics.jobs(), Optional.of(4), Optional.empty())
                    .configs(Map.of("cleanup.policy", "compact")));
            admin.createTopics(all).all().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Garbles the compressed payload of the batch at {@code offset} in the broker's log of {@code topic-partition},
     * keeping its header valid (the CRC is computed again): what a broken producer or disk would leave. The broker
     * serves it as it is; only a consumer decompressing it finds out.
     */
    private static void corruptBatch(String topic, int partition, long offset) throws IOException {
        Path dir;
        try (Stream<Path> paths = Files.walk(kafka.work.resolve("broker"))) {
            dir = paths.filter(p -> p.getFileName().toString().equals(topic + "-" + partition) && Files.isDirectory(p))
                    .findFirst().orElseThrow(() -> new AssertionError("no log folder of " + topic + "-" + partition));
        }
        Path log;
        try (Stream<Path> files = Files.list(dir)) {
            log = files.filter(p -> p.toString().endsWith(".log")).sorted().reduce((a, b) -> b).orElseThrow();
        }
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "rw")) {
            long position = 0;
            while (position + 61 <= file.length()) {
                file.seek(position);
                long baseOffset = file.readLong();
                int length = file.readInt();
                int size = 12 + length;
                if (baseOffset == offset) {
                    byte[] batch = new byte[size];
                    file.seek(position);
                    file.readFully(batch);
                    ByteBuffer buffer = ByteBuffer.wrap(batch);
                    assertEquals(4, buffer.getShort(21) & 7, "a zstd batch");
                    // keep the 61-byte header and the zstd frame's magic number, garble the rest
                    Random random = new Random(19);
                    for (int i = 61 + 4; i < size; i++) {
                        batch[i] = (byte) random.nextInt(256);
                    }
                    CRC32C crc = new CRC32C();
                    crc.update(batch, 21, size - 21);
                    buffer.putInt(17, (int) crc.getValue());
                    file.seek(position);
                    file.write(batch);
                    return;
                }
                position += size;
            }
        }
        throw new AssertionError("no batch at offset " + offset + " in " + log);
    }

    /**
     * Four codecs, each carrying a valid job among malformed requests; a corrupt zstd batch ahead of a valid job in
     * its partition. Everything valid completes, everything else is dead-lettered or rejected, and the one server
     * keeps its place in the group.
     */
    @Test
    @SuppressWarnings("unchecked")
    void everyCodecCarriesAJobWhileCorruptAndMalformedRecordsAreDeadLettered() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("x");
        createTopics(topics);
        // before any server runs: a zstd record whose batch is then garbled, and a valid job behind it
        RecordMetadata corrupt;
        try (KafkaProducer<String, byte[]> zstd = producer("zstd")) {
            corrupt = send(zstd, new ProducerRecord<>(topics.requests(), "x-corrupt",
                    job("x-corrupt", kafka.exampleConfig(50, false))));
            send(zstd, new ProducerRecord<>(topics.requests(), corrupt.partition(), "x-after",
                    job("x-after", kafka.exampleConfig(50, false))));
        }
        corruptBatch(topics.requests(), corrupt.partition(), corrupt.offset());

        List<String> options = kafka.options(topics, "x");
        KafkaHarness.ServerProcess server = kafka.startServer("x1", options);
        server.awaitServing();
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events(), topics.dlq(),
                topics.jobs()));
             Admin admin = kafka.cluster.admin()) {
            String source = topics.requests() + "/" + corrupt.partition() + "@" + corrupt.offset();
            KafkaHarness.waitUntil("the corrupt batch in the DLQ; server output:\n" + server.output(),
                    Duration.ofSeconds(60), () -> recorder.records.stream().anyMatch(r -> r.topic().equals(topics.dlq())
                            && source.equals(KafkaHarness.header(r, "pot4j.source"))));
            ConsumerRecord<String, byte[]> dead = recorder.records.stream().filter(r -> r.topic().equals(topics.dlq())
                    && source.equals(KafkaHarness.header(r, "pot4j.source"))).findFirst().orElseThrow();
            assertEquals("UNREADABLE_RECORD", KafkaHarness.header(dead, "pot4j.reason"));
            System.out.println("KafkaAttackIT: corrupt zstd batch -> DLQ: " + KafkaHarness.header(dead, "pot4j.error"));
            KafkaHarness.waitUntil("x-after ended; server output:\n" + server.output(), JOB_TIMEOUT,
                    () -> ended(recorder.events(topics.events(), "x-after")));
            assertEquals("COMPLETED", last(recorder.events(topics.events(), "x-after")), "the partition goes on");

            // per codec: malformed requests around one valid job
            Map<String, Object> valid = kafka.exampleConfig(50, false);
            Map<String, Object> wrongType = kafka.exampleConfig(50, false);
            ((Map<String, Object>) ((List<Object>) ((Map<String, Object>) wrongType.get("compression"))
                    .get("algorithms")).get(0)).put("params", Map.of("preset", List.of(1, 2), "stat_subset_size", "many"));
            Map<String, Object> hugeNumber = kafka.exampleConfig(50, false);
            ((Map<String, Object>) ((List<Object>) ((Map<String, Object>) hugeNumber.get("compression"))
                    .get("algorithms")).get(0)).put("params", Map.of("stat_subset_size", 1e300));
            List<String> validIds = new ArrayList<>();
            List<String> rejectedIds = new ArrayList<>();
            for (String codec : CODECS) {
                try (KafkaProducer<String, byte[]> producer = producer(codec)) {
                    String p = "x-" + codec;
                    send(producer, new ProducerRecord<>(topics.requests(), p + "-json",
                            "{\"config\": {\"model\": ".getBytes(StandardCharsets.UTF_8)));
                    send(producer, new ProducerRecord<>(topics.requests(), p + "-config5",
                            KafkaHarness.json(Map.of("job_id", p + "-config5", "config", 5))));
                    send(producer, new ProducerRecord<>(topics.requests(), p + "-deep",
                            ("{\"config\": " + "[".repeat(50_000) + "]".repeat(50_000) + "}")
                                    .getBytes(StandardCharsets.UTF_8)));
                    send(producer, new ProducerRecord<>(topics.requests(), p + "-big",
                            ("{\"config\": {\"pad\": \"" + "z".repeat(3_000_000) + "\"}}")
                                    .getBytes(StandardCharsets.UTF_8)));
                    send(producer, new ProducerRecord<>(topics.requests(), p + "-valid", job(p + "-valid", valid)));
                    send(producer, new ProducerRecord<>(topics.requests(), p + "-types", job(p + "-types", wrongType)));
                    send(producer, new ProducerRecord<>(topics.requests(), p + "-huge", job(p + "-huge", hugeNumber)));
                    send(producer, new ProducerRecord<>(topics.requests(), p + "-binary",
                            new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2, '{'}));
                    validIds.add(p + "-valid");
                    rejectedIds.addAll(List.of(p + "-json", p + "-config5", p + "-deep", p + "-big", p + "-types",
                            p + "-huge", p + "-binary"));
                }
            }
            for (String id : validIds) {
                KafkaHarness.waitUntil(id + " ended; server output:\n" + server.output(), JOB_TIMEOUT,
                        () -> ended(recorder.events(topics.events(), id)));
                List<Map<String, Object>> events = recorder.events(topics.events(), id);
                assertEquals("COMPLETED", last(events), id + ": " + types(events));
            }
            for (String id : rejectedIds) {
                KafkaHarness.waitUntil(id + " answered; server output:\n" + server.output(), Duration.ofSeconds(60),
                        () -> ended(recorder.events(topics.events(), id)));
                assertEquals(List.of("REJECTED"), types(recorder.events(topics.events(), id)), id);
            }
            // a job_id that differs from the record key: answered under the key, which its sender follows
            kafka.send(topics.requests(), "x-key", job("x-body", valid));
            // a raw cancel for an id no one knows: ignored, not a CANCELLED job that never existed
            kafka.send(topics.control(), "x-never", KafkaHarness.json(Map.of("action", "cancel")));
            KafkaHarness.waitUntil("x-key answered", Duration.ofSeconds(60),
                    () -> ended(recorder.events(topics.events(), "x-key")));
            Map<String, Object> mismatch = recorder.events(topics.events(), "x-key").get(0);
            assertEquals("REJECTED", mismatch.get("type"));
            assertEquals("job_id", ((Map<?, ?>) mismatch.get("details")).get("field"), String.valueOf(mismatch));
            assertTrue(String.valueOf(mismatch.get("message")).contains("'x-body'"), String.valueOf(mismatch));
            assertTrue(recorder.events(topics.events(), "x-body").isEmpty());
            KafkaHarness.waitUntil("the unknown cancel logged; server output:\n" + server.output(),
                    Duration.ofSeconds(60), () -> server.output().contains("cancel for job x-never"));
            assertTrue(server.output().contains("ignored: no such job"), server.output());
            assertTrue(recorder.of(topics.events(), "x-never").isEmpty() && recorder.of(topics.jobs(), "x-never").isEmpty(),
                    "no event, no state for x-never");

            Map<String, Long> reasons = recorder.records.stream().filter(r -> r.topic().equals(topics.dlq()))
                    .collect(Collectors.groupingBy(r -> String.valueOf(KafkaHarness.header(r, "pot4j.reason")),
                            LinkedHashMap::new, Collectors.counting()));
            System.out.println("KafkaAttackIT: DLQ reasons " + reasons);
            assertEquals(1, admin.describeConsumerGroups(List.of("x")).all().get().get("x").members().size(),
                    "the server keeps its place in the group");
            assertTrue(server.process.isAlive(), server.output());
            assertTrue(!server.output().contains("cannot go on"), server.output());
        } finally {
            assertEquals(0, server.stop(), server.output());
        }
    }

    /**
     * A server killed (SIGKILL) mid-job: the server that takes the job over marks the killed run abandoned, and no
     * (job id, sequence) appears twice on the events topic, whatever the killed run published after its last state.
     */
    @Test
    void aKilledRunIsMarkedAbandonedAndNoSequenceNumberRepeats() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("y");
        List<String> options = kafka.options(topics, "y");
        KafkaHarness.ServerProcess doomed = kafka.startServer("y1", options);
        doomed.awaitServing();
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events()))) {
            kafka.send(topics.requests(), "y-long", job("y-long", kafka.longConfig()));
            // killed after some progress: events the job state does not record
            KafkaHarness.waitUntil("y-long in progress", JOB_TIMEOUT,
                    () -> types(recorder.events(topics.events(), "y-long")).stream()
                            .filter("PROGRESS"::equals).count() >= 3);
            doomed.kill();
            KafkaHarness.ServerProcess heir = kafka.startServer("y2", options);
            heir.awaitServing();
            try {
                KafkaHarness.waitUntil("y-long ended; server output:\n" + heir.output(), JOB_TIMEOUT,
                        () -> ended(recorder.events(topics.events(), "y-long")));
                List<Map<String, Object>> events = recorder.events(topics.events(), "y-long");
                assertEquals("COMPLETED", last(events), types(events).toString());
                Map<Object, Long> perSequence = events.stream().collect(Collectors.groupingBy(
                        e -> ((Number) e.get("sequence")).longValue(), Collectors.counting()));
                List<Object> twice = perSequence.entrySet().stream().filter(e -> e.getValue() > 1)
                        .map(Map.Entry::getKey).toList();
                assertTrue(twice.isEmpty(), "sequence numbers used twice: " + twice + " in "
                        + events.stream().map(e -> e.get("type") + "#" + e.get("sequence") + "@" + e.get("server"))
                        .toList());
                Map<String, Object> abandoned = events.stream().filter(e -> "RUN_ABANDONED".equals(e.get("code")))
                        .findFirst().orElse(null);
                assertNotNull(abandoned, "the killed run is marked: " + types(events));
                Map<?, ?> details = (Map<?, ?>) abandoned.get("details");
                assertEquals(String.valueOf(events.get(0).get("server")), String.valueOf(details.get("abandoned_server")));
                assertEquals(0L, ((Number) details.get("abandoned_run")).longValue(), String.valueOf(details));
                assertEquals(1L, ((Number) abandoned.get("run")).longValue(), String.valueOf(abandoned));
                System.out.println("KafkaAttackIT: after the kill: " + abandoned.get("message"));
            } finally {
                assertEquals(0, heir.stop(), heir.output());
            }
        }
    }
}
