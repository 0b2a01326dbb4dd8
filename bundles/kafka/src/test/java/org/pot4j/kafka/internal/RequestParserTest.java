package org.pot4j.kafka.internal;

import org.pot4j.config.support.ConfigPaths;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.testsupport.TestFiles;

class RequestParserTest {
    private static final ObjectMapper COMMENTED = new ObjectMapper().enable(JsonParser.Feature.ALLOW_COMMENTS);

    private final Path exampleDir = TestFiles.example("quantize.json").getParent();
    private final RequestParser.Limits limits = new RequestParser.Limits(1_048_576, List.of(exampleDir,
            Path.of("/tmp/pot4j-out")), exampleDir, Path.of("/tmp/pot4j-out"));

    @SuppressWarnings("unchecked")
    private Map<String, Object> exampleConfig() throws Exception {
        return COMMENTED.readValue(Files.readString(exampleDir.resolve("quantize.json")), LinkedHashMap.class);
    }

    private static byte[] json(Object value) {
        return Messages.bytes(value);
    }

    @Test
    void wrappedRequestWithAbsolutePathsInsideTheRootsIsParsed() throws Exception {
        Map<String, Object> config = ConfigPaths.absolutize(exampleConfig(), exampleDir);
        assertEquals(exampleDir.resolve("models/cnn_relu.onnx").toString(),
                ((Map<?, ?>) config.get("model")).get("model").toString());
        Map<String, Object> request = Map.of("job_id", "j-1", "config", config, "base_dir", exampleDir.toString());
        RequestParser.Outcome outcome = RequestParser.parse("j-1", json(request), "fallback", limits);
        RequestParser.Parsed parsed = assertInstanceOf(RequestParser.Parsed.class, outcome);
        assertEquals("j-1", parsed.jobId());
        assertEquals(exampleDir, parsed.baseDirectory());
        assertEquals(Path.of("/tmp/pot4j-out/j-1"), parsed.outputDirectory());
        assertEquals("DefaultQuantization", ((Map<?, ?>) ((List<?>) ((Map<?, ?>) parsed.config().get("compression"))
                .get("algorithms")).get(0)).get("name"));
    }

    @Test
    void bareConfigTakesTheKeyAsJobIdAndRelativePathsResolveAgainstTheDefaultBase() throws Exception {
        RequestParser.Parsed parsed = assertInstanceOf(RequestParser.Parsed.class,
                RequestParser.parse("from-key", json(exampleConfig()), "fallback", limits));
        assertEquals("from-key", parsed.jobId());
        assertEquals(exampleDir, parsed.baseDirectory());
        RequestParser.Parsed noKey = assertInstanceOf(RequestParser.Parsed.class,
                RequestParser.parse(null, json(exampleConfig()), "kafka-pot4j.requests-0-42", limits));
        assertEquals("kafka-pot4j.requests-0-42", noKey.jobId());
    }

    @Test
    void malformedJsonIsDescribedWithoutJacksonInternals() {
        RequestParser.Unparseable trailing = assertInstanceOf(RequestParser.Unparseable.class, RequestParser.parse("k",
                "{\"config\": {}}}garbage".getBytes(StandardCharsets.UTF_8), "f", limits));
        assertEquals("MALFORMED_JSON", trailing.reason());
        assertEquals("malformed JSON at line 1, column 15: unexpected '}' after the end of the top-level object",
                trailing.message());
        RequestParser.Unparseable second = assertInstanceOf(RequestParser.Unparseable.class, RequestParser.parse("k",
                "{\"config\": {}} {\"config\": {}}".getBytes(StandardCharsets.UTF_8), "f", limits));
        assertEquals("malformed JSON at line 1, column 16: unexpected content after the end of the top-level object",
                second.message());
        RequestParser.Unparseable nan = assertInstanceOf(RequestParser.Unparseable.class, RequestParser.parse("k",
                "{\"config\": {\"engine\": {\"dataset\": {\"preprocessing\": [{\"mean\": NaN}]}}}}"
                        .getBytes(StandardCharsets.UTF_8), "f", limits));
        assertTrue(nan.message().startsWith("malformed JSON at line 1, column 63 "
                + "(config.engine.dataset.preprocessing[0].mean): NaN and Infinity are not allowed"), nan.message());
        for (RequestParser.Unparseable bad : List.of(trailing, second, nan)) {
            for (String internal : List.of("Source:", "REDACTED", "Feature", "`", "java.")) {
                assertTrue(!bad.message().contains(internal), "'" + internal + "' in: " + bad.message());
            }
        }
    }

    @Test
    void malformedJsonIsUnparseableWithItsPosition() {
        RequestParser.Unparseable bad = assertInstanceOf(RequestParser.Unparseable.class,
                RequestParser.parse("k", "{\"config\": {\"model\": ".getBytes(StandardCharsets.UTF_8), "f", limits));
        assertEquals("MALFORMED_JSON", bad.reason());
        assertEquals("k", bad.jobId());
        assertTrue(bad.message().contains("line 1"), bad.message());
        assertEquals("NOT_AN_OBJECT", ((RequestParser.Unparseable) RequestParser.parse(null,
                "[1,2]".getBytes(StandardCharsets.UTF_8), "f", limits)).reason());
        RequestParser.Unparseable empty = (RequestParser.Unparseable) RequestParser.parse(null, new byte[0], "f", limits);
        assertEquals("EMPTY", empty.reason());
        assertNull(empty.jobId());
    }

    @Test
    void oversizedRequestIsUnparseableNamingTheLimit() {
        RequestParser.Limits small = new RequestParser.Limits(1024, limits.allowedRoots(), exampleDir,
                limits.outputDirectory());
        RequestParser.Unparseable bad = assertInstanceOf(RequestParser.Unparseable.class,
                RequestParser.parse("k", new byte[2048], "f", small));
        assertEquals("TOO_LARGE", bad.reason());
        assertTrue(bad.message().contains("2048") && bad.message().contains("1024"), bad.message());
    }

    @Test
    void pathsOutsideTheAllowedRootsAreRejectedNamingTheField() throws Exception {
        Map<String, Object> config = exampleConfig();
        ((Map<String, Object>) config.get("model")).put("model", "/etc/passwd");
        RequestParser.Rejected rejected = assertInstanceOf(RequestParser.Rejected.class,
                RequestParser.parse("k", json(Map.of("config", config)), "f", limits));
        assertEquals("PATH_NOT_ALLOWED", rejected.code());
        assertEquals("model.model", rejected.field());
        assertTrue(rejected.message().contains("/etc/passwd"), rejected.message());

        Map<String, Object> escaping = exampleConfig();
        ((Map<String, Object>) escaping.get("model")).put("model", "../../../../etc/shadow");
        assertInstanceOf(RequestParser.Rejected.class,
                RequestParser.parse("k", json(Map.of("config", escaping)), "f", limits));

        RequestParser.Rejected output = assertInstanceOf(RequestParser.Rejected.class, RequestParser.parse("k",
                json(Map.of("config", exampleConfig(), "output_dir", "/var/tmp/x")), "f", limits));
        assertEquals("output_dir", output.field());
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSymlinkInsideARootPointingOutsideIsRejectedNamingItsRealPath(@org.junit.jupiter.api.io.TempDir Path temp)
            throws Exception {
        Path root = temp.resolve("root");
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("passwd"), "secret");
        Files.createDirectories(root);
        Files.createSymbolicLink(root.resolve("link"), outside);
        RequestParser.Limits rooted = new RequestParser.Limits(1_048_576, List.of(root), root, root.resolve("out"));

        Map<String, Object> config = exampleConfig();
        ((Map<String, Object>) config.get("model")).put("model", root.resolve("link/passwd").toString());
        RequestParser.Rejected rejected = assertInstanceOf(RequestParser.Rejected.class,
                RequestParser.parse("k", json(Map.of("config", config)), "f", rooted));
        assertEquals("PATH_NOT_ALLOWED", rejected.code());
        assertEquals("model.model", rejected.field());
        assertTrue(rejected.message().contains(root.resolve("link/passwd").toString())
                && rejected.message().contains("real path " + outside.toRealPath().resolve("passwd")),
                rejected.message());

        // an output folder not made yet, under a link that leads outside: its nearest existing parent decides
        RequestParser.Rejected output = assertInstanceOf(RequestParser.Rejected.class, RequestParser.parse("k",
                json(Map.of("config", Map.of(), "output_dir", root.resolve("link/new/deeper").toString())), "f",
                rooted));
        assertEquals("output_dir", output.field());
        assertTrue(output.message().contains("real path " + outside.toRealPath().resolve("new/deeper")),
                output.message());

        // a link that stays inside the roots is fine
        Files.createDirectories(root.resolve("models"));
        Files.writeString(root.resolve("models/m.onnx"), "m");
        Files.createSymbolicLink(root.resolve("alias"), root.resolve("models"));
        Map<String, Object> inside = new LinkedHashMap<>(Map.of("model", Map.of("model",
                root.resolve("alias/m.onnx").toString())));
        assertInstanceOf(RequestParser.Parsed.class, RequestParser.parse("k",
                json(Map.of("config", inside, "output_dir", root.resolve("out/x").toString())), "f", rooted));
    }

    @Test
    @SuppressWarnings("unchecked")
    void aPathInsideAnObjectUnderAPathKeyIsCheckedToo() throws Exception {
        // the npy loader's one .npy per input: "data": {"input_ids": "...", "attention_mask": "..."}
        Map<String, Object> config = exampleConfig();
        Map<String, Object> engine = (Map<String, Object>) config.get("engine");
        engine.put("dataset", Map.of("loader", "npy", "data", Map.of("input_ids", exampleDir.resolve("x.npy").toString(),
                "attention_mask", "/etc/passwd")));
        RequestParser.Rejected rejected = assertInstanceOf(RequestParser.Rejected.class,
                RequestParser.parse("k", json(Map.of("config", config)), "f", limits));
        assertEquals("PATH_NOT_ALLOWED", rejected.code());
        assertEquals("engine.dataset.data.attention_mask", rejected.field());
        Map<String, Object> absolute = ConfigPaths.absolutize(Map.of("model", Map.of("model_name", "text"), "engine",
                Map.of("dataset", Map.of("data", Map.of("ids", "ids.npy")))), Path.of("/base"));
        assertEquals("/base/ids.npy", ((Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
                absolute.get("engine")).get("dataset")).get("data")).get("ids"));
        assertEquals("text", ((Map<String, Object>) absolute.get("model")).get("model_name"),
                "the model section is not a map of paths");
    }

    @Test
    void unknownWrapperKeysAreRejectedNamingTheKeyAndTheAllowedOnes() throws Exception {
        RequestParser.Rejected priority = assertInstanceOf(RequestParser.Rejected.class, RequestParser.parse("j",
                json(Map.of("job_id", "j", "config", exampleConfig(), "priority", 5)), "f", limits));
        assertEquals("INVALID_INPUT", priority.code());
        assertEquals("priority", priority.field());
        assertTrue(priority.message().contains("'priority'")
                && priority.message().contains("job_id, config, base_dir, output_dir"), priority.message());
        RequestParser.Rejected typo = assertInstanceOf(RequestParser.Rejected.class, RequestParser.parse("j",
                json(Map.of("job_id", "j", "config", exampleConfig(), "output_dri", "/tmp/pot4j-out/x")), "f", limits));
        assertEquals("output_dri", typo.field());
        assertTrue(typo.message().contains("did you mean 'output_dir'?"), typo.message());
    }

    @Test
    void aJobIdThatDiffersFromTheRecordKeyIsRejectedUnderTheKeyNamingBoth() throws Exception {
        RequestParser.Rejected rejected = assertInstanceOf(RequestParser.Rejected.class, RequestParser.parse("key-1",
                json(Map.of("job_id", "body-1", "config", exampleConfig())), "f", limits));
        assertEquals("job_id", rejected.field());
        assertEquals("key-1", rejected.jobId(), "answered under the record key, which its sender follows");
        assertTrue(rejected.message().contains("'body-1'") && rejected.message().contains("'key-1'"),
                rejected.message());
        // no key: the body names the job
        assertEquals("body-1", assertInstanceOf(RequestParser.Parsed.class, RequestParser.parse(null,
                json(Map.of("job_id", "body-1", "config", exampleConfig())), "f", limits)).jobId());
    }

    @Test
    void badJobIdAndNonObjectConfigAreRejected() throws Exception {
        assertEquals("job_id", ((RequestParser.Rejected) RequestParser.parse(null,
                json(Map.of("job_id", "../x", "config", exampleConfig())), "f", limits)).field());
        assertEquals("config", ((RequestParser.Rejected) RequestParser.parse(null,
                json(Map.of("job_id", "a", "config", "text")), "f", limits)).field());
    }

    /**
     * The server's state folder (broker log, framework cache, ...) is off limits by name even when a root would allow
     * it: a job with output_dir "data" and model_name "kafka" used to write into the broker's log folder.
     */
    @Test
    @SuppressWarnings("unchecked")
    void pathsIntoTheServersStateFolderAreRejectedByName(@org.junit.jupiter.api.io.TempDir Path home) throws Exception {
        Path state = Files.createDirectories(home.resolve("state/kafka"));
        Files.writeString(state.resolve("meta.properties"), "node.id=1");
        Files.createDirectories(home.resolve("data"));
        Files.createSymbolicLink(home.resolve("data/link"), home.resolve("state"));
        // even a root that contains the state (the server refuses to start so; the parser still says no)
        RequestParser.Limits limits = new RequestParser.Limits(1_048_576, List.of(home, exampleDir), home,
                home.resolve("outputs"), List.of(home.resolve("state")));

        Map<String, Object> metaAsModel = exampleConfig();
        ((Map<String, Object>) metaAsModel.get("model")).put("model", "state/kafka/meta.properties");
        assertInState(limits, Map.of("config", metaAsModel), "model.model", "state/kafka/meta.properties");

        Map<String, Object> calibration = ConfigPaths.absolutize(exampleConfig(), exampleDir);
        ((Map<String, Object>) ((Map<String, Object>) calibration.get("engine")).get("calibration_dataset"))
                .put("images", home.resolve("state/kafka").toString());
        assertInState(limits, Map.of("config", calibration), "engine.calibration_dataset.images", "state/kafka");

        Map<String, Object> config = ConfigPaths.absolutize(exampleConfig(), exampleDir);
        assertInState(limits, Map.of("config", config, "output_dir", "state"), "output_dir", "'state'");
        assertInState(limits, Map.of("config", config, "output_dir", "state/felix-cache"), "output_dir", "felix-cache");
        assertInState(limits, Map.of("config", config, "output_dir", "data/link/kafka"), "output_dir",
                "real path " + home.toRealPath().resolve("state/kafka"));
        Map<String, Object> namedState = ConfigPaths.absolutize(exampleConfig(), exampleDir);
        ((Map<String, Object>) namedState.get("model")).put("model_name", "state");
        assertInState(limits, Map.of("config", namedState, "output_dir", "."), "model.model_name",
                "output folder " + home.resolve("state"));

        // beside the state, the same names are fine: data/kafka is a dataset folder like any other
        RequestParser.Parsed parsed = assertInstanceOf(RequestParser.Parsed.class, RequestParser.parse("k",
                json(Map.of("config", config, "output_dir", "data/kafka")), "f", limits));
        assertEquals(home.resolve("data/kafka"), parsed.outputDirectory());
    }

    private static void assertInState(RequestParser.Limits limits, Map<String, Object> request, String field,
                                      String named) {
        RequestParser.Rejected rejected = assertInstanceOf(RequestParser.Rejected.class,
                RequestParser.parse("k", json(request), "f", limits));
        assertEquals("PATH_NOT_ALLOWED", rejected.code());
        assertEquals(field, rejected.field(), rejected.message());
        assertTrue(rejected.message().startsWith(field + " '") && rejected.message().contains(named)
                && rejected.message().contains("is in the server's state folder " + limits.stateFolders().get(0)),
                rejected.message());
    }
}
