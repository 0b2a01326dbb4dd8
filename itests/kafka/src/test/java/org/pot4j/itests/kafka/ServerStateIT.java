package org.pot4j.itests.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 19, items 2 and 3, on a real {@code pot serve}: requests aimed at the server's own state folder (framework
 * cache, statistics cache, broker log, logs: {@code home/state}) are REJECTED naming the field, whatever lies there,
 * and the server starts again afterwards; a server whose allowed roots contain that folder does not start; a copy of
 * a shipped bundle dropped into deploy/ and removed again leaves the shipped one serving.
 */
class ServerStateIT {
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(180);
    private static final Set<String> TERMINAL = Set.of("COMPLETED", "FAILED", "CANCELLED", "REJECTED");
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

    private static List<String> types(List<Map<String, Object>> events) {
        return events.stream().map(e -> String.valueOf(e.get("type"))).toList();
    }

    private static boolean ended(List<Map<String, Object>> events) {
        return events.stream().anyMatch(e -> TERMINAL.contains(String.valueOf(e.get("type"))));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> model(Map<String, Object> config) {
        return (Map<String, Object>) config.get("model");
    }

    @Test
    @SuppressWarnings("unchecked")
    void requestsAimedAtTheStateFolderAreRejectedByNameAndTheServerStartsAgain() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("s");
        Path home = kafka.serverHomes.resolve("s1");
        Path state = home.resolve("state");
        // data/ of the server's home is a root, as the distribution's default data/ is; a link in it leads to state/
        Files.createDirectories(home.resolve("data"));
        Files.createSymbolicLink(home.resolve("data/state-link"), state);
        List<String> options = topics.options(kafka.bootstrap, "s", List.of(kafka.examples, kafka.work,
                home.resolve("data")), home.resolve("outputs"));

        KafkaHarness.ServerProcess server = kafka.startServer("s1", options);
        server.awaitServing();
        assertTrue(Files.isDirectory(state.resolve("felix-cache")), "serve keeps its framework cache in state/");

        Map<String, String> expectedFields = new LinkedHashMap<>();
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events()))) {
            // the requests, with the state folder where data/ used to be
            Map<String, Object> config = kafka.exampleConfig(50, false);
            send(topics, "s-output-state", Map.of("config", config, "output_dir", "state"));
            expectedFields.put("s-output-state", "output_dir");
            send(topics, "s-output-cache", Map.of("config", config, "output_dir", state.resolve("felix-cache").toString()));
            expectedFields.put("s-output-cache", "output_dir");
            send(topics, "s-output-link", Map.of("config", config, "output_dir", "data/state-link/kafka"));
            expectedFields.put("s-output-link", "output_dir");
            Map<String, Object> named = kafka.exampleConfig(50, false);
            model(named).put("model_name", "state");
            send(topics, "s-model-name", Map.of("config", named, "output_dir", "."));
            expectedFields.put("s-model-name", "model.model_name");
            Map<String, Object> cacheAsModel = kafka.exampleConfig(50, false);
            model(cacheAsModel).put("model", state.resolve("felix-cache/pot4j-bundles.properties").toString());
            send(topics, "s-model-path", Map.of("config", cacheAsModel));
            expectedFields.put("s-model-path", "model.model");
            Map<String, Object> brokerLogAsData = kafka.exampleConfig(50, false);
            ((Map<String, Object>) ((Map<String, Object>) brokerLogAsData.get("engine")).get("calibration_dataset"))
                    .put("images", "state/kafka/meta.properties");
            send(topics, "s-dataset-path", Map.of("config", brokerLogAsData));
            expectedFields.put("s-dataset-path", "engine.calibration_dataset.images");

            for (Map.Entry<String, String> expected : expectedFields.entrySet()) {
                String id = expected.getKey();
                KafkaHarness.waitUntil(id + " answered", JOB_TIMEOUT, () -> ended(recorder.events(topics.events(), id)));
                List<Map<String, Object>> events = recorder.events(topics.events(), id);
                assertEquals(List.of("REJECTED"), types(events), id);
                Map<String, Object> rejected = events.get(0);
                assertEquals("PATH_NOT_ALLOWED", rejected.get("code"), id + ": " + rejected);
                String message = String.valueOf(rejected.get("message"));
                assertTrue(message.startsWith(expected.getValue() + " '")
                        && message.contains("is in the server's state folder " + state), id + ": " + message);
                assertEquals(expected.getValue(), ((Map<String, Object>) rejected.get("details")).get("field"),
                        id + ": " + rejected);
            }
        }
        try (Stream<Path> files = Files.walk(state)) {
            List<Path> written = files.filter(path -> path.getFileName().toString().equals("optimized")
                    || path.getFileName().toString().endsWith(".onnx")).toList();
            assertEquals(List.of(), written, "nothing was written into the state folder");
        }
        assertEquals(0, server.stop(), server.output());

        // the server starts again on the same state
        KafkaHarness.ServerProcess again = kafka.startServer("s1", options);
        again.awaitServing();
        assertEquals(0, again.stop(), again.output());
    }

    /** Whatever the configuration says, a root that contains the state folder (or lies in it) stops serve at start. */
    @Test
    void aRootContainingTheStateFolderIsRefusedAtStart() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("r");
        Path home = kafka.serverHomes.resolve("r1");
        List<String> options = topics.options(kafka.bootstrap, "r", List.of(kafka.examples, home),
                kafka.work.resolve("r-outputs"));
        KafkaHarness.ServerProcess server = kafka.startServer("r1", options);
        assertTrue(server.process.waitFor(120, TimeUnit.SECONDS), "serve did not exit:\n" + server.output());
        String output = server.output();
        assertEquals(2, server.process.exitValue(), output);
        assertTrue(output.contains("error: allowed_roots") && output.contains("root " + home + " contains the server's"
                + " state folder " + home.resolve("state")), output);
    }

    /**
     * FileInstall used to take a copy of a shipped jar for an update of the shipped bundle, and uninstalled that
     * bundle when the copy went: DefaultQuantization then failed with ALGORITHM_UNAVAILABLE until a restart.
     */
    @Test
    void aCopyOfAShippedBundleDeployedAndRemovedLeavesTheShippedOneServing() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("c");
        List<String> options = topics.options(kafka.bootstrap, "c", List.of(kafka.examples, kafka.work),
                kafka.work.resolve("c-outputs"));
        KafkaHarness.ServerProcess server = kafka.startServer("c1", options);
        server.awaitServing();
        Path shipped;
        try (Stream<Path> jars = Files.list(kafka.dist.resolve("bundle"))) {
            shipped = jars.filter(jar -> jar.getFileName().toString().startsWith("org.pot4j.algorithm.minmax-"))
                    .findFirst().orElseThrow();
        }
        Path staged = Files.copy(shipped, server.home.resolve("data").resolve("minmax-copy.jar"));
        Path copy = Files.move(staged, server.home.resolve("deploy").resolve("minmax-copy.jar"),
                StandardCopyOption.ATOMIC_MOVE);
        KafkaHarness.waitUntil("the copy refused", Duration.ofSeconds(30),
                () -> server.output().contains("deploy/minmax-copy.jar is not installed"));
        String refusal = server.output().lines().filter(line -> line.contains("deploy/minmax-copy.jar is not installed"))
                .findFirst().orElseThrow();
        assertTrue(refusal.contains("org.pot4j.algorithm.minmax") && refusal.contains("bundle/" + shipped.getFileName()),
                refusal);
        Files.delete(copy);
        KafkaHarness.waitUntil("the copy's removal seen", Duration.ofSeconds(30),
                () -> server.output().contains("deploy/minmax-copy.jar (refused) removed"));

        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events()))) {
            send(topics, "c-after", Map.of("config", kafka.exampleConfig(50, false)));
            KafkaHarness.waitUntil("c-after ended", JOB_TIMEOUT, () -> ended(recorder.events(topics.events(), "c-after")));
            List<String> types = types(recorder.events(topics.events(), "c-after"));
            assertEquals("COMPLETED", types.get(types.size() - 1), types + "\n" + server.output());
        }
        String output = server.output();
        assertTrue(!output.contains("Updating this bundle instead") && !output.contains("ALGORITHM_UNAVAILABLE"), output);
        assertEquals(0, server.stop(), server.output());
    }

    private static void send(KafkaHarness.Topics topics, String jobId, Map<String, Object> request) throws Exception {
        Map<String, Object> wrapped = new LinkedHashMap<>(request);
        wrapped.put("job_id", jobId);
        kafka.send(topics.requests(), jobId, KafkaHarness.json(wrapped));
    }
}
