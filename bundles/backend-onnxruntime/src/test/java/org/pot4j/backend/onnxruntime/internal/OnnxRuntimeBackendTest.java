package org.pot4j.backend.onnxruntime.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.backend.BenchmarkResult;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.backend.SessionOptions.OptimizationLevel;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.testsupport.TestFiles;

class OnnxRuntimeBackendTest {
    private static final OnnxRuntimeBackend BACKEND = new OnnxRuntimeBackend(1, OptimizationLevel.ALL);
    private static InferenceSession cnnRelu;

    @BeforeAll
    static void openCnnRelu() throws Exception {
        cnnRelu = BACKEND.open(TestFiles.modelBytes("cnn_relu"), SessionOptions.defaults().withThreads(1));
    }

    @AfterAll
    static void closeCnnRelu() {
        cnnRelu.close();
    }

    @Test
    void cnnReluReproducesReferenceLogitsOfFirstFourTestImages() throws Exception {
        JsonNode reference = modelsJson().path("models").path("cnn_relu").path("reference_logits_first4_t10k");
        assertEquals(4, reference.size(), "models.json has 4 reference rows");

        Map<String, Tensor> outputs = cnnRelu.run(Map.of("input", TestFiles.testBatch(0, 4, Tensor::ofFloats)), List.of());

        assertEquals(List.of("logits"), List.copyOf(outputs.keySet()));
        Tensor logits = outputs.get("logits");
        assertArrayEquals(new long[] {4, 10}, logits.shape());
        float[] values = logits.floats();
        for (int row = 0; row < 4; row++) {
            for (int cls = 0; cls < 10; cls++) {
                assertEquals(reference.get(row).get(cls).asDouble(), values[row * 10 + cls], 1e-4,
                        "logit [" + row + "][" + cls + "]");
            }
        }
    }

    @Test
    void sessionDescribesModelInputsAndOutputs() {
        assertEquals(List.of("input"), cnnRelu.inputNames());
        assertEquals(List.of("logits"), cnnRelu.outputNames());
        assertArrayEquals(new long[] {-1, 1, 28, 28}, ((OrtInferenceSession) cnnRelu).inputShape("input"));
    }

    @Test
    void batchOf32EqualsThirtyTwoSingleRuns() throws Exception {
        Tensor batch = TestFiles.testBatch(0, 32, Tensor::ofFloats);
        float[] batched = cnnRelu.run(Map.of("input", batch), List.of("logits")).get("logits").floats();
        assertEquals(32 * 10, batched.length);
        float[] pixels = batch.floats();
        int perImage = 28 * 28;
        for (int i = 0; i < 32; i++) {
            Tensor single = Tensor.ofFloats(new long[] {1, 1, 28, 28},
                    Arrays.copyOfRange(pixels, i * perImage, (i + 1) * perImage));
            float[] logits = cnnRelu.run(Map.of("input", single), List.of()).get("logits").floats();
            for (int c = 0; c < 10; c++) {
                assertEquals(batched[i * 10 + c], logits[c], 1e-4, "image " + i + " class " + c);
            }
        }
    }

    @Test
    void concurrentRunsOnOneSessionGiveTheSameResults() throws Exception {
        Tensor images = TestFiles.testBatch(100, 8, Tensor::ofFloats);
        float[] expected = cnnRelu.run(Map.of("input", images), List.of()).get("logits").floats();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                results.add(pool.submit(() -> cnnRelu.run(Map.of("input", images), List.of()).get("logits").floats()));
            }
            for (Future<float[]> result : results) {
                assertArrayEquals(expected, result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void wrongInputNameNamesTheInputAndTheExpectedNames() throws Exception {
        InvalidInputException error = assertThrows(InvalidInputException.class,
                () -> cnnRelu.run(Map.of("image", TestFiles.testBatch(0, 1, Tensor::ofFloats)), List.of()));
        assertEquals("inputs.image", error.field());
        assertTrue(error.getMessage().contains("image") && error.getMessage().contains("[input]"), error.getMessage());
    }

    @Test
    void missingInputIsNamed() {
        InvalidInputException error = assertThrows(InvalidInputException.class, () -> cnnRelu.run(Map.of(), List.of()));
        assertEquals("inputs.input", error.field());
    }

    @Test
    void wrongShapeNamesTheInputTheGivenShapeAndTheExpectedShape() {
        Tensor wrong = Tensor.ofFloats(new long[] {1, 3, 28, 28}, new float[3 * 28 * 28]);
        InvalidInputException error = assertThrows(InvalidInputException.class,
                () -> cnnRelu.run(Map.of("input", wrong), List.of()));
        assertEquals("inputs.input", error.field());
        assertTrue(error.getMessage().contains("[1, 3, 28, 28]"), error.getMessage());
        assertTrue(error.getMessage().contains("FLOAT [N, 1, 28, 28]"), error.getMessage());
    }

    @Test
    void wrongRankAndWrongTypeAreRejected() {
        Tensor flat = Tensor.ofFloats(new long[] {1, 784}, new float[784]);
        assertEquals("inputs.input", assertThrows(InvalidInputException.class,
                () -> cnnRelu.run(Map.of("input", flat), List.of())).field());
        Tensor doubles = new Tensor(DataType.DOUBLE, new long[] {1, 1, 28, 28}, new double[784]);
        InvalidInputException error = assertThrows(InvalidInputException.class,
                () -> cnnRelu.run(Map.of("input", doubles), List.of()));
        assertTrue(error.getMessage().contains("DOUBLE") && error.getMessage().contains("model expects FLOAT"),
                error.getMessage());
    }

    @Test
    void unknownOutputIsNamed() throws Exception {
        InvalidInputException error = assertThrows(InvalidInputException.class,
                () -> cnnRelu.run(Map.of("input", TestFiles.testBatch(0, 1, Tensor::ofFloats)), List.of("probabilities")));
        assertEquals("outputs", error.field());
        assertTrue(error.getMessage().contains("[logits]"), error.getMessage());
    }

    @Test
    void corruptBytesGiveModelError() throws Exception {
        byte[] model = TestFiles.modelBytes("cnn_relu");
        byte[] corrupt = Arrays.copyOf(model, model.length / 3);
        Pot4jException error = assertThrows(Pot4jException.class, () -> BACKEND.open(corrupt, SessionOptions.defaults()));
        assertEquals("MODEL_ERROR", error.code());
        Pot4jException garbage = assertThrows(Pot4jException.class,
                () -> BACKEND.open("not an onnx model".getBytes(), null));
        assertEquals("MODEL_ERROR", garbage.code());
    }

    @Test
    void everyOptimizationLevelGivesTheSameLogitsAndSavesTheOptimizedModel(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        Tensor images = TestFiles.testBatch(0, 4, Tensor::ofFloats);
        float[] reference = cnnRelu.run(Map.of("input", images), List.of()).get("logits").floats();
        for (OptimizationLevel level : OptimizationLevel.values()) {
            java.nio.file.Path saved = dir.resolve(level + ".onnx");
            SessionOptions options = new SessionOptions(1, 1, level, Set.of(), saved);
            try (InferenceSession session = BACKEND.open(TestFiles.modelBytes("cnn_relu"), options)) {
                float[] logits = session.run(Map.of("input", images), List.of()).get("logits").floats();
                for (int i = 0; i < logits.length; i++) {
                    assertEquals(reference[i], logits[i], 1e-4, level + " logit " + i);
                }
            }
            assertTrue(java.nio.file.Files.size(saved) > 1000, "optimized model saved for " + level);
        }
    }

    @Test
    void mobilenetRunsAtBatchEight() throws Exception {
        try (InferenceSession session = BACKEND.open(TestFiles.modelBytes("mobilenet_v2_tiny"), null)) {
            Tensor logits = session.run(Map.of("input", TestFiles.testBatch(0, 8, Tensor::ofFloats)), List.of()).get("logits");
            assertArrayEquals(new long[] {8, 10}, logits.shape());
            JsonNode reference = modelsJson().path("models").path("mobilenet_v2_tiny")
                    .path("reference_logits_first4_t10k");
            assertEquals(reference.get(0).get(0).asDouble(), logits.floats()[0], 1e-4);
        }
    }

    @Test
    void closedSessionRefusesToRun() throws Exception {
        InferenceSession session = BACKEND.open(TestFiles.modelBytes("cnn_relu"), null);
        session.close();
        session.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> session.run(Map.of("input", TestFiles.testBatch(0, 1, Tensor::ofFloats)), List.of()));
    }

    @Test
    void benchmarkReportsSaneFigures() throws Exception {
        Tensor batch = TestFiles.testBatch(0, 16, Tensor::ofFloats);
        BenchmarkResult result = cnnRelu.benchmark(Map.of("input", batch), 3, 50, 10);
        System.out.printf("cnn_relu batch 16, 1 thread: %d iterations, median %.3f ms, p90 %.3f ms, p99 %.3f ms,"
                        + " mean %.3f ms, %.0f samples/s%n", result.iterations(), result.medianMs(), result.p90Ms(),
                result.p99Ms(), result.meanMs(), result.samplesPerSecond());
        assertEquals(16, result.batch());
        assertTrue(result.iterations() > 0 && result.iterations() <= 50, "iterations " + result.iterations());
        assertTrue(result.medianMs() > 0, "median " + result.medianMs());
        assertTrue(result.p90Ms() >= result.medianMs(), "p90 >= median");
        assertTrue(result.p99Ms() >= result.p90Ms(), "p99 >= p90");
        assertTrue(result.samplesPerSecond() > 0);
        assertEquals(16 * 1000.0 / result.meanMs(), result.samplesPerSecond(), result.samplesPerSecond() * 1e-6);
    }

    @Test
    void benchmarkRejectsNoLimit() throws Exception {
        Tensor one = TestFiles.testBatch(0, 1, Tensor::ofFloats);
        assertEquals("benchmark.iterations", assertThrows(InvalidInputException.class,
                () -> cnnRelu.benchmark(Map.of("input", one), 0, 0, 0)).field());
        assertEquals("inputs.input", assertThrows(InvalidInputException.class,
                () -> cnnRelu.benchmark(Map.of("input", one.reshape(1, 784)), 0, 1, 0)).field());
    }

    @Test
    void percentilesUseNearestRank() {
        long[] nanos = new long[100];
        for (int i = 0; i < 100; i++) {
            nanos[i] = (100 - i) * 1_000_000L; // 100 ms .. 1 ms, unsorted on purpose
        }
        BenchmarkResult result = OrtInferenceSession.summarize(4, nanos);
        assertEquals(50.5, result.medianMs(), 1e-9);
        assertEquals(90.0, result.p90Ms(), 1e-9);
        assertEquals(99.0, result.p99Ms(), 1e-9);
        assertEquals(50.5, result.meanMs(), 1e-9);
        assertEquals(4 * 100 / 5.05, result.samplesPerSecond(), 1e-6);
    }

    /** testdata/models/models.json: the model card with reference logits of the first 4 test images. */
    private static JsonNode modelsJson() throws IOException {
        return new ObjectMapper().readTree(TestFiles.modelsJson().toFile());
    }
}
