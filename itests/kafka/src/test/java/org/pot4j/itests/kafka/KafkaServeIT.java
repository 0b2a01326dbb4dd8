package org.pot4j.itests.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pot4j.itests.kafka.KafkaHarness.JOB_TIMEOUT;
import static org.pot4j.itests.kafka.KafkaHarness.TERMINAL;
import static org.pot4j.itests.kafka.KafkaHarness.ended;
import static org.pot4j.itests.kafka.KafkaHarness.types;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 5 acceptance on a real KRaft broker and the real distribution: {@code pot serve} processes
 * consume requests, run the real orchestrator and publish to Kafka; {@code pot submit --follow}
 * gets the model back. Figures (times) are printed, not asserted.
 */
class KafkaServeIT {
    private static KafkaHarness kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        long start = System.nanoTime();
        kafka = new KafkaHarness();
        System.out.printf("KafkaServeIT: KRaft broker at %s up in %d ms%n", kafka.bootstrap,
                (System.nanoTime() - start) / 1_000_000);
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    private List<String> options(KafkaHarness.Topics topics, String group) {
        return kafka.options(topics, group);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** Acceptance 1 and 2, plus de-duplication of a completed job id and `pot jobs`. */
    @Test
    @SuppressWarnings("unchecked")
    void submitFollowGetsAVerifiedModelWhileBadRequestsAreDeadLetteredOrRejected() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("a");
        List<String> options = new ArrayList<>(options(topics, "a"));
        options.add("-Dpot4j.kafka.max.request.bytes=16384");
        long serveStart = System.nanoTime();
        KafkaHarness.ServerProcess server = kafka.startServer("a1", options);
        server.awaitServing();
        long serveMillis = (System.nanoTime() - serveStart) / 1_000_000;
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events(), topics.dlq(),
                topics.snapshots(), topics.requests()))) {
            // a malformed request and an unknown algorithm, queued before the good job
            kafka.send(topics.requests(), "a-malformed", "{\"config\": {\"model\": ".getBytes(StandardCharsets.UTF_8));
            Map<String, Object> unknown = kafka.exampleConfig(50, false);
            @SuppressWarnings("unchecked")
            Map<String, Object> algorithm = (Map<String, Object>) ((List<Object>) ((Map<String, Object>) unknown
                    .get("compression")).get("algorithms")).get(0);
            algorithm.put("name", "NoSuchQuantization");
            kafka.send(topics.requests(), "a-unknown", KafkaHarness.json(Map.of("job_id", "a-unknown", "config", unknown)));
            // a path outside the allowed roots, and a request above max_request_bytes
            Map<String, Object> outside = kafka.exampleConfig(50, false);
            ((Map<String, Object>) outside.get("model")).put("model", "/etc/passwd");
            kafka.send(topics.requests(), "a-outside", KafkaHarness.json(Map.of("job_id", "a-outside", "config", outside)));
            kafka.send(topics.requests(), "a-huge", ("{\"config\": {\"pad\": \"" + "x".repeat(20_000) + "\"}}")
                    .getBytes(StandardCharsets.UTF_8));

            Path out = kafka.work.resolve("a-client-out");
            long submitStart = System.nanoTime();
            long submitStartWall = System.currentTimeMillis();
            KafkaHarness.Run submit = kafka.pot(options, JOB_TIMEOUT, "submit", "-c",
                    kafka.examples.resolve("fashion-mnist/quantize.json").toString(), "--follow", "-o", out.toString(),
                    "--job-id", "a-good", "--json");
            long submitMillis = (System.nanoTime() - submitStart) / 1_000_000;
            long submitEndWall = System.currentTimeMillis();
            assertEquals(0, submit.exit(), "submit --follow: " + submit.err() + submit.out() + "\nserver:\n"
                    + server.output());
            String[] lines = submit.out().strip().split("\n");
            Map<String, Object> result = KafkaHarness.map(lines[lines.length - 1].getBytes(StandardCharsets.UTF_8));
            assertEquals("COMPLETED", result.get("state"));
            Path model = Path.of(String.valueOf(result.get("model")));
            byte[] bytes = Files.readAllBytes(model);
            assertEquals(result.get("sha256"), sha256(bytes), "the written model is the announced one");

            // the model runs in ONNX Runtime: [1,1,28,28] in, [1,10] out
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession session = env.createSession(bytes, new OrtSession.SessionOptions());
                 OnnxTensor input = OnnxTensor.createTensor(env, new float[1][1][28][28]);
                 OrtSession.Result output = session.run(Map.of(session.getInputNames().iterator().next(), input))) {
                assertEquals(10, ((float[][]) output.get(0).getValue())[0].length);
            }

            // the event stream of the good job, in order
            List<Map<String, Object>> good = recorder.events(topics.events(), "a-good");
            List<String> goodTypes = types(good);
            assertEquals("ACCEPTED", goodTypes.get(0), goodTypes.toString());
            assertEquals("STARTED", goodTypes.get(1), goodTypes.toString());
            assertTrue(goodTypes.contains("PROGRESS"), goodTypes.toString());
            assertTrue(goodTypes.contains("SNAPSHOT"), goodTypes.toString());
            assertEquals("COMPLETED", goodTypes.get(goodTypes.size() - 1), goodTypes.toString());
            for (int i = 1; i < good.size(); i++) {
                assertTrue(((Number) good.get(i).get("sequence")).longValue()
                        > ((Number) good.get(i - 1).get("sequence")).longValue(), "sequence grows");
            }
            // the final snapshot's records carry the announced checksum
            List<ConsumerRecord<String, byte[]>> chunks = recorder.of(topics.snapshots(), "a-good").stream()
                    .filter(r -> "true".equals(KafkaHarness.header(r, "pot4j.snapshot.final"))).toList();
            assertTrue(!chunks.isEmpty());
            assertEquals(sha256(bytes), KafkaHarness.header(chunks.get(0), "pot4j.sha256"));

            // malformed JSON: DLQ with the reason, REJECTED event (the key named the job)
            KafkaHarness.waitUntil("DLQ record", Duration.ofSeconds(30),
                    () -> !recorder.of(topics.dlq(), "a-malformed").isEmpty());
            ConsumerRecord<String, byte[]> dead = recorder.of(topics.dlq(), "a-malformed").get(0);
            assertEquals("MALFORMED_JSON", KafkaHarness.header(dead, "pot4j.reason"));
            assertTrue(KafkaHarness.header(dead, "pot4j.error").contains("malformed JSON"));
            assertEquals("{\"config\": {\"model\": ", new String(dead.value(), StandardCharsets.UTF_8), "as received");
            assertEquals(List.of("REJECTED"), types(recorder.events(topics.events(), "a-malformed")));

            List<Map<String, Object>> outsideEvents = recorder.events(topics.events(), "a-outside");
            assertEquals(List.of("REJECTED"), types(outsideEvents));
            assertEquals("PATH_NOT_ALLOWED", outsideEvents.get(0).get("code"));
            assertTrue(String.valueOf(outsideEvents.get(0).get("message")).contains("/etc/passwd"));
            KafkaHarness.waitUntil("DLQ record of the huge request", Duration.ofSeconds(30),
                    () -> !recorder.of(topics.dlq(), "a-huge").isEmpty());
            assertEquals("TOO_LARGE", KafkaHarness.header(recorder.of(topics.dlq(), "a-huge").get(0), "pot4j.reason"));

            // unknown algorithm: REJECTED naming what is available
            List<Map<String, Object>> rejected = recorder.events(topics.events(), "a-unknown");
            assertEquals(List.of("REJECTED"), types(rejected));
            String why = rejected.get(0).get("message") + " " + rejected.get(0).get("details");
            assertTrue(why.contains("NoSuchQuantization") && why.contains("DefaultQuantization"), why);

            // the same job id again: re-announced, not run again
            kafka.send(topics.requests(), "a-good", KafkaHarness.json(Map.of("job_id", "a-good", "config",
                    kafka.exampleConfig(300, true))));
            KafkaHarness.waitUntil("re-announcement", Duration.ofSeconds(60),
                    () -> types(recorder.events(topics.events(), "a-good")).stream()
                            .filter("COMPLETED"::equals).count() == 2);
            List<Map<String, Object>> again = recorder.events(topics.events(), "a-good");
            assertEquals(1, types(again).stream().filter("ACCEPTED"::equals).count(), "not accepted twice");
            assertEquals(Boolean.TRUE, ((Map<?, ?>) again.get(again.size() - 1).get("details")).get("reannounced"));
            assertTrue(((Number) again.get(again.size() - 1).get("sequence")).longValue()
                    > ((Number) again.get(again.size() - 2).get("sequence")).longValue(),
                    "the re-announcement continues the job's sequence: " + again.stream()
                            .map(e -> e.get("type") + "#" + e.get("sequence")).toList());

            // warm server: the same job again under a new id, request sent by a plain producer; what the
            // Kafka path adds is the time from the request record to the COMPLETED record beyond the
            // job's own run time (the summary's seconds)
            kafka.send(topics.requests(), "a-warm", KafkaHarness.json(Map.of("job_id", "a-warm", "config",
                    kafka.exampleConfig(300, true))));
            KafkaHarness.waitUntil("a-warm ended", JOB_TIMEOUT, () -> ended(recorder.events(topics.events(), "a-warm")));
            List<ConsumerRecord<String, byte[]>> warm = recorder.of(topics.events(), "a-warm");
            Map<String, Object> warmEnd = KafkaHarness.map(warm.get(warm.size() - 1).value());
            assertEquals("COMPLETED", warmEnd.get("type"), String.valueOf(warmEnd));
            long warmRequest = recorder.of(topics.requests(), "a-warm").get(0).timestamp();
            long warmAccepted = warm.get(0).timestamp();
            long warmTotal = warm.get(warm.size() - 1).timestamp() - warmRequest;
            Object jobSeconds = ((Map<?, ?>) warmEnd.get("details")).get("seconds");

            // pot jobs lists them from the compacted topic
            KafkaHarness.Run jobs = kafka.pot(options, Duration.ofSeconds(60), "jobs", "--json");
            assertEquals(0, jobs.exit(), jobs.err());
            assertTrue(jobs.out().contains("\"a-good\"") && jobs.out().contains("COMPLETED"), jobs.out());
            assertTrue(jobs.out().contains("\"a-unknown\"") && jobs.out().contains("REJECTED"), jobs.out());

            // figures: submit -> ACCEPTED on the broker's clock-free path (both producers on this machine),
            // and the whole Kafka path against the same job run locally by `pot quantize`
            long requestTime = recorder.of(topics.requests(), "a-good").get(0).timestamp();
            long acceptedTime = recorder.of(topics.events(), "a-good").get(0).timestamp();
            List<ConsumerRecord<String, byte[]>> goodRecords = recorder.of(topics.events(), "a-good");
            // the first COMPLETED: the re-announcement above came later
            long completedTime = goodRecords.stream()
                    .filter(r -> "COMPLETED".equals(KafkaHarness.map(r.value()).get("type")))
                    .findFirst().orElseThrow().timestamp();
            long localStart = System.nanoTime();
            KafkaHarness.Run local = kafka.pot(List.of(), JOB_TIMEOUT, "quantize", "-c",
                    kafka.examples.resolve("fashion-mnist/quantize.json").toString(), "-o",
                    kafka.work.resolve("a-local-out").toString());
            long localMillis = (System.nanoTime() - localStart) / 1_000_000;
            assertEquals(0, local.exit(), local.err());
            System.out.printf("KafkaServeIT: serve up in %d ms; submit --follow of the example (DefaultQuantization, "
                    + "300 calibration, 1000 evaluation images) %d ms end to end, %d events, model %d bytes; "
                    + "request -> ACCEPTED %d ms; local `pot quantize` of the same job %d ms, so the Kafka path "
                    + "costs %d ms more (client start to request sent %d ms, ACCEPTED to COMPLETED on the server %d ms, "
                    + "COMPLETED to client exit %d ms)%n", serveMillis, submitMillis, good.size(), bytes.length,
                    acceptedTime - requestTime, localMillis, submitMillis - localMillis, requestTime - submitStartWall,
                    completedTime - acceptedTime, submitEndWall - completedTime);
            System.out.printf("KafkaServeIT: warm server, same job: request -> ACCEPTED %d ms, request -> COMPLETED "
                    + "%d ms, the job's own time %s s%n", warmAccepted - warmRequest, warmTotal, jobSeconds);
        } finally {
            int exit = server.stop();
            assertEquals(0, exit, "serve exits 0 on SIGTERM; output:\n" + server.output());
        }
    }

    /** Acceptance 4: two servers in one group share 10 queued jobs, each runs once. */
    @Test
    void twoServersInOneGroupRunTenJobsEachOnce() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("b");
        List<String> options = options(topics, "b");
        KafkaHarness.ServerProcess first = kafka.startServer("b1", options);
        KafkaHarness.ServerProcess second = kafka.startServer("b2", options);
        first.awaitServing();
        second.awaitServing();
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events()));
             org.apache.kafka.clients.admin.Admin admin = kafka.cluster.admin()) {
            KafkaHarness.waitUntil("both servers in group b", Duration.ofSeconds(60), () -> {
                try {
                    return admin.describeConsumerGroups(List.of("b")).all().get().get("b").members().size() == 2;
                } catch (Exception e) {
                    return false;
                }
            });
            long start = System.nanoTime();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String id = "b-" + i;
                ids.add(id);
                kafka.send(topics.requests(), id, KafkaHarness.json(Map.of("job_id", id, "config",
                        kafka.exampleConfig(50, false))));
            }
            KafkaHarness.waitUntil("10 jobs ended", JOB_TIMEOUT.multipliedBy(2),
                    () -> ids.stream().allMatch(id -> ended(recorder.events(topics.events(), id))));
            long millis = (System.nanoTime() - start) / 1_000_000;
            Map<String, Long> perServer = new LinkedHashMap<>();
            for (String id : ids) {
                List<Map<String, Object>> events = recorder.events(topics.events(), id);
                List<String> types = types(events);
                assertEquals(1, types.stream().filter("ACCEPTED"::equals).count(), id + ": " + types);
                assertEquals(1, types.stream().filter("STARTED"::equals).count(), id + " ran once: " + types);
                // a request re-delivered after a rebalance, before its offset was committed, is answered by
                // re-announcing the stored result: allowed, as long as the job itself completed exactly once
                long ranToCompletion = events.stream().filter(e -> "COMPLETED".equals(e.get("type"))
                        && !(e.get("details") instanceof Map<?, ?> d && Boolean.TRUE.equals(d.get("reannounced")))).count();
                assertEquals(1, ranToCompletion, id + ": " + types);
                perServer.merge(String.valueOf(events.get(0).get("server")), 1L, Long::sum);
            }
            assertEquals(2, perServer.size(), "both servers took jobs: " + perServer);
            System.out.printf("KafkaServeIT: 10 short jobs on 2 servers in %d ms, per server %s%n", millis, perServer);
        } finally {
            first.stop();
            second.stop();
        }
    }

    /** Acceptance 3: a server killed mid-job; another one finishes the job, once; the id is not run again. */
    @Test
    void aJobOfAKilledServerCompletesOnceOnAnother() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("c");
        List<String> options = options(topics, "c");
        KafkaHarness.ServerProcess doomed = kafka.startServer("c1", options);
        doomed.awaitServing();
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events()))) {
            kafka.send(topics.requests(), "c-crash", KafkaHarness.json(Map.of("job_id", "c-crash", "config",
                    kafka.longConfig())));
            KafkaHarness.waitUntil("c-crash started", JOB_TIMEOUT,
                    () -> types(recorder.events(topics.events(), "c-crash")).contains("STARTED"));
            doomed.kill();
            assertTrue(!types(recorder.events(topics.events(), "c-crash")).contains("COMPLETED"),
                    "killed before the job ended");
            long start = System.nanoTime();
            KafkaHarness.ServerProcess heir = kafka.startServer("c2", options);
            heir.awaitServing();
            try {
                KafkaHarness.waitUntil("c-crash completed", JOB_TIMEOUT,
                        () -> types(recorder.events(topics.events(), "c-crash")).contains("COMPLETED"));
                long millis = (System.nanoTime() - start) / 1_000_000;
                List<Map<String, Object>> events = recorder.events(topics.events(), "c-crash");
                List<String> types = types(events);
                assertEquals(2, types.stream().filter("STARTED"::equals).count(), types.toString());
                assertEquals(1, types.stream().filter("COMPLETED"::equals).count(), types.toString());
                String finisher = String.valueOf(events.get(events.size() - 1).get("server"));
                assertNotEquals(String.valueOf(events.get(0).get("server")), finisher, "another server finished it");

                kafka.send(topics.requests(), "c-crash", KafkaHarness.json(Map.of("job_id", "c-crash", "config",
                        kafka.exampleConfig(300, true))));
                KafkaHarness.waitUntil("re-announcement", Duration.ofSeconds(60),
                        () -> types(recorder.events(topics.events(), "c-crash")).stream()
                                .filter("COMPLETED"::equals).count() == 2);
                assertEquals(2, types(recorder.events(topics.events(), "c-crash")).stream()
                        .filter("STARTED"::equals).count(), "the duplicate did not run");
                System.out.printf("KafkaServeIT: after the kill, the job completed on the next server %d ms after it "
                        + "was started (includes the 6 s session timeout and the dead server's 8 s lease)%n", millis);
            } finally {
                heir.stop();
            }
        }
    }

    /** Acceptance 5 (first half): a plugin bundle dropped into deploy/ while serving is used by the next request. */
    @Test
    void anAlgorithmDeployedWhileServingServesTheNextRequestAndLeavesWithItsJar() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("d");
        List<String> options = options(topics, "d");
        KafkaHarness.ServerProcess server = kafka.startServer("d1", options);
        server.awaitServing();
        Path sample = Path.of(KafkaHarness.required("pot4j.itest.sample"));
        assertTrue(Files.isRegularFile(sample), "sample bundle built: " + sample);
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events()))) {
            Map<String, Object> config = kafka.exampleConfig(50, false);
            @SuppressWarnings("unchecked")
            Map<String, Object> algorithm = (Map<String, Object>) ((List<Object>) ((Map<String, Object>) config
                    .get("compression")).get("algorithms")).get(0);
            algorithm.put("name", "SampleNoOp");
            algorithm.put("params", Map.of());

            kafka.send(topics.requests(), "d-before", KafkaHarness.json(Map.of("job_id", "d-before", "config", config)));
            KafkaHarness.waitUntil("d-before ended", JOB_TIMEOUT, () -> ended(recorder.events(topics.events(), "d-before")));
            assertEquals(List.of("REJECTED"), types(recorder.events(topics.events(), "d-before")));

            Path staged = Files.copy(sample, server.home.resolve("data").resolve("sample.jar"));
            Path deployed = Files.move(staged, server.home.resolve("deploy").resolve("sample.jar"),
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            long start = System.nanoTime();
            // FileInstall polls every 500 ms: retry with new ids until the algorithm is there
            String accepted = null;
            for (int attempt = 0; attempt < 60 && accepted == null; attempt++) {
                String id = "d-after-" + attempt;
                kafka.send(topics.requests(), id, KafkaHarness.json(Map.of("job_id", id, "config", config)));
                KafkaHarness.waitUntil(id + " answered", JOB_TIMEOUT,
                        () -> !recorder.events(topics.events(), id).isEmpty());
                if ("ACCEPTED".equals(types(recorder.events(topics.events(), id)).get(0))) {
                    accepted = id;
                } else {
                    Thread.sleep(500);
                }
            }
            assertTrue(accepted != null, "SampleNoOp never became usable; server output:\n" + server.output());
            long millis = (System.nanoTime() - start) / 1_000_000;
            String job = accepted;
            KafkaHarness.waitUntil(job + " ended", JOB_TIMEOUT, () -> ended(recorder.events(topics.events(), job)));
            List<String> jobTypes = types(recorder.events(topics.events(), job));
            assertEquals("COMPLETED", jobTypes.get(jobTypes.size() - 1), jobTypes.toString());

            Files.delete(deployed);
            String rejected = null;
            for (int attempt = 0; attempt < 60 && rejected == null; attempt++) {
                String id = "d-gone-" + attempt;
                kafka.send(topics.requests(), id, KafkaHarness.json(Map.of("job_id", id, "config", config)));
                KafkaHarness.waitUntil(id + " ended", JOB_TIMEOUT, () -> ended(recorder.events(topics.events(), id)));
                if ("REJECTED".equals(types(recorder.events(topics.events(), id)).get(0))) {
                    rejected = id;
                } else {
                    Thread.sleep(500);
                }
            }
            assertTrue(rejected != null, "SampleNoOp never left");
            System.out.printf("KafkaServeIT: a deployed algorithm served a request %d ms after its jar appeared%n",
                    millis);
        } finally {
            assertEquals(0, server.stop(), server.output());
        }
    }

    /** `pot cancel` reaches the server running the job through the control topic: CANCELLED, server goes on. */
    @Test
    void cancelCommandStopsARunningJob() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("e");
        List<String> options = options(topics, "e");
        KafkaHarness.ServerProcess server = kafka.startServer("e1", options);
        server.awaitServing();
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events()))) {
            // evaluation on the full 10k test set: long enough for a command to reach it
            kafka.send(topics.requests(), "e-long", KafkaHarness.json(Map.of("job_id", "e-long", "config",
                    kafka.longConfig())));
            KafkaHarness.waitUntil("e-long started", JOB_TIMEOUT,
                    () -> types(recorder.events(topics.events(), "e-long")).contains("STARTED"));
            KafkaHarness.Run cancel = kafka.pot(options, Duration.ofSeconds(60), "cancel", "e-long");
            assertEquals(0, cancel.exit(), cancel.err() + cancel.out());
            KafkaHarness.waitUntil("e-long ended", JOB_TIMEOUT, () -> ended(recorder.events(topics.events(), "e-long")));
            List<String> eventTypes = types(recorder.events(topics.events(), "e-long"));
            assertEquals("CANCELLED", eventTypes.get(eventTypes.size() - 1), eventTypes.toString());

            KafkaHarness.Run unknown = kafka.pot(options, Duration.ofSeconds(60), "cancel", "e-no-such-job");
            assertEquals(2, unknown.exit(), unknown.err());
            assertTrue(unknown.err().contains("e-no-such-job"), unknown.err());

            // the server goes on: a short job after the cancelled one completes
            kafka.send(topics.requests(), "e-next", KafkaHarness.json(Map.of("job_id", "e-next", "config",
                    kafka.exampleConfig(50, false))));
            KafkaHarness.waitUntil("e-next ended", JOB_TIMEOUT, () -> ended(recorder.events(topics.events(), "e-next")));
            List<String> next = types(recorder.events(topics.events(), "e-next"));
            assertEquals("COMPLETED", next.get(next.size() - 1), next.toString());
        } finally {
            assertEquals(0, server.stop(), server.output());
        }
    }

    /**
     * Acceptance 5 (second half): the bundle of an algorithm a running job uses is removed; the job
     * ends FAILED (the orchestrator's PLUGIN_REMOVED) naming the bundle, and the next job runs.
     */
    @Test
    void aBundleRemovedMidJobFailsThatJobNamingItAndTheNextJobRuns() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("f");
        List<String> options = options(topics, "f");
        KafkaHarness.ServerProcess server = kafka.startServer("f1", options);
        server.awaitServing();
        Path sample = Path.of(KafkaHarness.required("pot4j.itest.sample"));
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events()))) {
            Path staged = Files.copy(sample, server.home.resolve("data").resolve("sample.jar"));
            Path deployed = Files.move(staged, server.home.resolve("deploy").resolve("sample.jar"),
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Map<String, Object> config = kafka.longConfig();
            @SuppressWarnings("unchecked")
            List<Object> algorithms = (List<Object>) ((Map<String, Object>) config.get("compression")).get("algorithms");
            algorithms.add(0, new LinkedHashMap<>(Map.of("name", "SampleNoOp", "params", Map.of())));
            String job = null;
            for (int attempt = 0; attempt < 60 && job == null; attempt++) {
                String id = "f-long-" + attempt;
                kafka.send(topics.requests(), id, KafkaHarness.json(Map.of("job_id", id, "config", config)));
                KafkaHarness.waitUntil(id + " answered", JOB_TIMEOUT,
                        () -> !recorder.events(topics.events(), id).isEmpty());
                if ("ACCEPTED".equals(types(recorder.events(topics.events(), id)).get(0))) {
                    job = id;
                } else {
                    Thread.sleep(500);
                }
            }
            assertTrue(job != null, "SampleNoOp never became usable");
            String running = job;
            KafkaHarness.waitUntil(running + " started", JOB_TIMEOUT,
                    () -> types(recorder.events(topics.events(), running)).contains("STARTED"));
            Files.delete(deployed);
            KafkaHarness.waitUntil(running + " ended", JOB_TIMEOUT,
                    () -> ended(recorder.events(topics.events(), running)));
            List<Map<String, Object>> events = recorder.events(topics.events(), running);
            Map<String, Object> last = events.get(events.size() - 1);
            assertEquals("FAILED", last.get("type"), summary(events));
            assertTrue(String.valueOf(last.get("message")).contains("org.pot4j.itests.sample"), String.valueOf(last));
            assertEquals("PLUGIN_REMOVED", last.get("code"), String.valueOf(last));
            System.out.println("KafkaServeIT: removal mid-job -> FAILED: " + last.get("message"));

            kafka.send(topics.requests(), "f-next", KafkaHarness.json(Map.of("job_id", "f-next", "config",
                    kafka.exampleConfig(50, false))));
            KafkaHarness.waitUntil("f-next ended", JOB_TIMEOUT, () -> ended(recorder.events(topics.events(), "f-next")));
            List<String> next = types(recorder.events(topics.events(), "f-next"));
            assertEquals("COMPLETED", next.get(next.size() - 1), next.toString());
        } finally {
            assertEquals(0, server.stop(), server.output());
        }
    }

    /**
     * An oversized request sent producer-compressed (the broker takes it compressed) is too large for the DLQ as
     * received: it must still reach the DLQ, in a form that fits (gzip), before its offset is committed.
     */
    @Test
    void anOversizedCompressedRequestReachesTheDlqInAFormThatFits() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("g");
        List<String> options = options(topics, "g");
        KafkaHarness.ServerProcess server = kafka.startServer("g1", options);
        server.awaitServing();
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events(), topics.dlq()))) {
            byte[] big = ("{\"config\": {\"pad\": \"" + "x".repeat(1_200_000) + "\"}}").getBytes(StandardCharsets.UTF_8);
            byte[] huge = ("{\"config\": {\"pad\": \"" + "y".repeat(5_000_000) + "\"}}").getBytes(StandardCharsets.UTF_8);
            kafka.sendCompressed(topics.requests(), "g-big", big);
            kafka.sendCompressed(topics.requests(), "g-huge", huge);
            // and a small bad one behind them: the partition is not stuck
            kafka.send(topics.requests(), "g-after", "{".getBytes(StandardCharsets.UTF_8));
            for (String key : List.of("g-big", "g-huge", "g-after")) {
                KafkaHarness.waitUntil("DLQ record " + key + "; server output:\n" + server.output(),
                        Duration.ofSeconds(60), () -> !recorder.of(topics.dlq(), key).isEmpty());
            }
            for (Map.Entry<String, byte[]> sent : Map.of("g-big", big, "g-huge", huge).entrySet()) {
                ConsumerRecord<String, byte[]> dead = recorder.of(topics.dlq(), sent.getKey()).get(0);
                assertEquals("TOO_LARGE", KafkaHarness.header(dead, "pot4j.reason"));
                assertEquals("gzip", KafkaHarness.header(dead, "pot4j.dlq.stored"));
                assertEquals(String.valueOf(sent.getValue().length), KafkaHarness.header(dead, "pot4j.original.bytes"));
                assertEquals(sha256(sent.getValue()), KafkaHarness.header(dead, "pot4j.original.sha256"));
                assertTrue(KafkaHarness.header(dead, "pot4j.error").contains("gzip-compressed"),
                        KafkaHarness.header(dead, "pot4j.error"));
                try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(
                        new java.io.ByteArrayInputStream(dead.value()))) {
                    assertEquals(sha256(sent.getValue()), sha256(in.readAllBytes()), "the request, compressed");
                }
                assertEquals(List.of("REJECTED"), types(recorder.events(topics.events(), sent.getKey())));
            }
        } finally {
            assertEquals(0, server.stop(), server.output());
        }
    }

    /**
     * A job whose request waits (the only worker is busy) is cancelled by `pot cancel` and by a raw control
     * record: recorded as CANCELLED at once, never run, its offset committed; an unknown id stays an error.
     */
    @Test
    void aQueuedJobCanBeCancelledAndIsNotRun() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("h");
        List<String> options = options(topics, "h");
        KafkaHarness.ServerProcess server = kafka.startServer("h1", options);
        server.awaitServing();
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events()));
             org.apache.kafka.clients.admin.Admin admin = kafka.cluster.admin()) {
            kafka.send(topics.requests(), "h-long", KafkaHarness.json(Map.of("job_id", "h-long", "config",
                    kafka.longConfig())));
            KafkaHarness.waitUntil("h-long started", JOB_TIMEOUT,
                    () -> types(recorder.events(topics.events(), "h-long")).contains("STARTED"));
            kafka.send(topics.requests(), "h-queued", KafkaHarness.json(Map.of("job_id", "h-queued", "config",
                    kafka.exampleConfig(50, false))));
            kafka.send(topics.requests(), "h-raw", KafkaHarness.json(Map.of("job_id", "h-raw", "config",
                    kafka.exampleConfig(50, false))));

            KafkaHarness.Run cancel = kafka.pot(options, Duration.ofSeconds(60), "cancel", "h-queued");
            assertEquals(0, cancel.exit(), cancel.err() + cancel.out());
            assertTrue(cancel.out().contains("cancel recorded for job h-queued"), cancel.out());
            kafka.send(topics.control(), "h-raw", KafkaHarness.json(Map.of("action", "cancel")));
            for (String id : List.of("h-queued", "h-raw")) {
                KafkaHarness.waitUntil(id + " cancelled; server output:\n" + server.output(), Duration.ofSeconds(30),
                        () -> types(recorder.events(topics.events(), id)).contains("CANCELLED"));
            }
            KafkaHarness.Run unknown = kafka.pot(options, Duration.ofSeconds(60), "cancel", "h-no-such-job");
            assertEquals(2, unknown.exit(), unknown.err());
            assertTrue(unknown.err().contains("h-no-such-job"), unknown.err());

            // h-next runs once h-long ended; the cancelled ones, consumed in between, are skipped
            kafka.send(topics.requests(), "h-next", KafkaHarness.json(Map.of("job_id", "h-next", "config",
                    kafka.exampleConfig(50, false))));
            KafkaHarness.waitUntil("h-next ended", JOB_TIMEOUT, () -> ended(recorder.events(topics.events(), "h-next")));
            List<String> next = types(recorder.events(topics.events(), "h-next"));
            assertEquals("COMPLETED", next.get(next.size() - 1), next.toString());
            for (String id : List.of("h-queued", "h-raw")) {
                assertEquals(List.of("CANCELLED"), types(recorder.events(topics.events(), id)), id + " never ran");
            }
            // every request, the skipped ones too, is committed
            KafkaHarness.waitUntil("all requests committed", Duration.ofSeconds(30), () -> {
                try {
                    Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata>
                            committed = admin.listConsumerGroupOffsets("h").partitionsToOffsetAndMetadata().get();
                    Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest =
                            new java.util.HashMap<>();
                    for (int p = 0; p < 4; p++) {
                        latest.put(new org.apache.kafka.common.TopicPartition(topics.requests(), p),
                                org.apache.kafka.clients.admin.OffsetSpec.latest());
                    }
                    var ends = admin.listOffsets(latest).all().get();
                    return ends.entrySet().stream().allMatch(e -> e.getValue().offset() == 0
                            || committed.get(e.getKey()) != null
                            && committed.get(e.getKey()).offset() == e.getValue().offset());
                } catch (Exception e) {
                    return false;
                }
            });
        } finally {
            assertEquals(0, server.stop(), server.output());
        }
    }

    /**
     * A server stopped (SIGTERM) mid-job does not end the job: a non-terminal "interrupted" event, no terminal
     * state; `submit --follow` keeps following; the next server runs the job once to COMPLETED, its events
     * numbered after the first run's.
     */
    @Test
    void aServerStoppedMidJobInterruptsItAndTheNextServerCompletesIt() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("i");
        List<String> options = options(topics, "i");
        KafkaHarness.ServerProcess first = kafka.startServer("i1", options);
        first.awaitServing();
        Path config = kafka.work.resolve("i-long.json");
        Files.write(config, KafkaHarness.json(kafka.longConfig()));
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events(), topics.jobs()))) {
            java.util.concurrent.CompletableFuture<KafkaHarness.Run> follow =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return kafka.pot(options, Duration.ofSeconds(400), "submit", "-c", config.toString(),
                                    "--job-id", "i-long", "--follow", "-o", kafka.work.resolve("i-out").toString());
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
            KafkaHarness.waitUntil("i-long started", JOB_TIMEOUT,
                    () -> types(recorder.events(topics.events(), "i-long")).contains("STARTED"));
            assertEquals(0, first.stop(), first.output());
            Thread.sleep(2_000);
            List<Map<String, Object>> stopped = recorder.events(topics.events(), "i-long");
            assertTrue(!ended(stopped), "a stop is not the job's end: " + types(stopped));
            Map<String, Object> interrupted = stopped.get(stopped.size() - 1);
            assertEquals("STAGE", interrupted.get("type"), String.valueOf(interrupted));
            assertTrue(String.valueOf(interrupted.get("message")).startsWith("interrupted: server stopping"),
                    String.valueOf(interrupted));
            List<ConsumerRecord<String, byte[]>> states = recorder.of(topics.jobs(), "i-long");
            Map<String, Object> state = KafkaHarness.map(states.get(states.size() - 1).value());
            assertTrue(!TERMINAL.contains(String.valueOf(state.get("state"))), String.valueOf(state));
            assertTrue(!follow.isDone(), "submit --follow keeps following");

            KafkaHarness.ServerProcess second = kafka.startServer("i2", options);
            second.awaitServing();
            try {
                KafkaHarness.Run run = follow.get(JOB_TIMEOUT.toSeconds() + 60, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(0, run.exit(), run.err() + run.out() + "\nserver:\n" + second.output());
                assertTrue(run.out().contains("job i-long COMPLETED"), run.out());
                List<Map<String, Object>> events = recorder.events(topics.events(), "i-long");
                assertEquals(1, events.stream().filter(e -> TERMINAL.contains(String.valueOf(e.get("type")))).count(),
                        types(events).toString());
                for (int i = 1; i < events.size(); i++) {
                    assertTrue(((Number) events.get(i).get("sequence")).longValue()
                            > ((Number) events.get(i - 1).get("sequence")).longValue(),
                            "sequence grows across the runs: " + events.stream().map(e -> e.get("type") + "#"
                                    + e.get("sequence")).toList());
                }
            } finally {
                assertEquals(0, second.stop(), second.output());
            }
        }
    }

    static String summary(List<Map<String, Object>> events) {
        return events.stream().map(e -> e.get("type") + "@" + e.get("server")).collect(Collectors.joining(", "));
    }
}
