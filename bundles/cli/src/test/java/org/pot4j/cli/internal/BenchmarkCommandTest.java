package org.pot4j.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.testsupport.TestFiles;

/** {@code pot benchmark}: option ranges and model paths are checked before anything is allocated or run. */
class BenchmarkCommandTest {
    private static BenchmarkCommand benchmark;
    private static final String MODEL = TestFiles.example("models/cnn_relu.onnx").toString();

    @TempDir
    Path temp;

    @BeforeAll
    static void start() {
        benchmark = new BenchmarkCommand(new RealServer().registry);
    }

    private static void assertBadInput(RealServer.Run run, String... expected) {
        assertEquals(Cli.BAD_INPUT, run.exitCode(), run.err());
        for (String text : expected) {
            assertTrue(run.err().contains(text), "'" + text + "' in: " + run.err());
        }
        assertTrue(!run.err().contains("Exception"), run.err());
    }

    @Test
    void batchWhoseInputWouldNotFitIsBadInputWithTheModelsRange() throws Exception {
        // cnn_relu's input is [batch, 1, 28, 28]: 784 values per sample, 2^28 / 784 = 342392 samples at most
        assertBadInput(RealServer.run(benchmark, "-m", MODEL, "--batch", "100000000", "--seconds", "1"),
                "benchmark --batch", "'100000000'", "1 to 342392");
        assertBadInput(RealServer.run(benchmark, "-m", MODEL, "--batch", "0"), "benchmark --batch", "from 1 to");
        assertBadInput(RealServer.run(benchmark, "-m", MODEL, "--batch", "99999999999"), "benchmark --batch");
    }

    @Test
    void threadsAndSecondsHaveARange() throws Exception {
        assertBadInput(RealServer.run(benchmark, "-m", MODEL, "--threads", "5000"), "benchmark --threads", "'5000'",
                "from 0 to 1024");
        assertBadInput(RealServer.run(benchmark, "-m", MODEL, "--threads", "-1"), "benchmark --threads");
        assertBadInput(RealServer.run(benchmark, "-m", MODEL, "--seconds", "100000"), "benchmark --seconds",
                "'100000'", "<= 3600");
        assertBadInput(RealServer.run(benchmark, "-m", MODEL, "--seconds", "NaN"), "benchmark --seconds");
        assertBadInput(RealServer.run(benchmark, "-m", MODEL, "--seconds", "0"), "benchmark --seconds");
    }

    @Test
    void directoryIsNotAModelFileAndMissingFileDoesNotExist() throws Exception {
        assertBadInput(RealServer.run(benchmark, "-m", temp.toString()), "is a directory, not a file");
        assertBadInput(RealServer.run(benchmark, "-m", temp.resolve("missing.onnx").toString()), "does not exist");
    }

    @Test
    void smallBatchStillRuns() throws Exception {
        RealServer.Run run = RealServer.run(benchmark, "-m", MODEL, "--batch", "2", "--seconds", "0.2",
                "--iterations", "5", "--json");
        assertEquals(Cli.OK, run.exitCode(), run.err());
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertEquals(2, json.get("batch").asInt());
    }

    /** Two models alternated: each one's figures and its ratio to the first, whose own ratio is 1 in every round. */
    @Test
    void severalModelsRunAlternatelyWithTheirRatioToTheFirst() throws Exception {
        String other = TestFiles.model("mobilenet_v2_tiny").toString();
        RealServer.Run run = RealServer.run(benchmark, "-m", MODEL, "-m", other, "--rounds", "3", "--seconds", "0.3",
                "--iterations", "5", "--json");
        assertEquals(Cli.OK, run.exitCode(), run.err());
        JsonNode models = new ObjectMapper().readTree(run.out()).get("models");
        assertEquals(2, models.size());
        assertEquals(1.0, models.get(0).get("ratio_to_first").asDouble(), 1e-12);
        assertEquals(3, models.get(1).get("round_median_ms").size());
        double ratio = models.get(1).get("ratio_to_first").asDouble();
        assertTrue(models.get(1).get("ratio_min").asDouble() <= ratio && ratio <= models.get(1).get("ratio_max").asDouble(),
                models.toString());
        RealServer.Run text = RealServer.run(benchmark, "-m", MODEL, "-m", other, "--rounds", "2", "--seconds", "0.2",
                "--iterations", "3");
        assertTrue(text.out().contains("mobilenet_v2_tiny.onnx: median") && text.out().contains("ratio"), text.out());
        assertBadInput(RealServer.run(benchmark, "-m", MODEL, "--rounds", "3"), "benchmark --rounds",
                "give two or more -m");
    }

    @Test
    void int64InputsAreFilled() throws Exception {
        // input_ids and attention_mask INT64 [N, 8], scale FLOAT [1]: it refused every non-float input before
        String model = TestFiles.file("testdata/models/multi_input/multi_input.onnx").toString();
        RealServer.Run run = RealServer.run(benchmark, "-m", model, "--batch", "3", "--seconds", "0.2",
                "--iterations", "5", "--json");
        assertEquals(Cli.OK, run.exitCode(), run.err());
        assertEquals(3, new ObjectMapper().readTree(run.out()).get("batch").asInt());
    }
}
