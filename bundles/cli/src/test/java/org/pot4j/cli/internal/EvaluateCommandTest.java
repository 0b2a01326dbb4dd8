package org.pot4j.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pot4j.testsupport.TestFiles;

/** {@code pot evaluate} end to end on the real components, and every kind of bad input it must name. */
class EvaluateCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static RealServer server;
    private static EvaluateCommand evaluate;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() {
        server = new RealServer();
        evaluate = new EvaluateCommand(server.jobs);
    }

    private Path config(String modelPath, String datasetJson, String metricsJson) throws IOException {
        Path file = temp.resolve("job.json");
        Files.writeString(file, "{ \"model\": {\"model\": \"" + modelPath + "\"},\n"
                + "  \"engine\": {\"dataset\": " + datasetJson + ", \"metrics\": " + metricsJson + "} }");
        return file;
    }

    private static String idxDataset(String images, String labels) {
        return "{\"loader\": \"idx\", \"images\": \"" + images + "\", \"labels\": \"" + labels + "\","
                + " \"preprocessing\": [{\"type\": \"normalization\", \"mean\": 72.93, \"std\": 90.015}]}";
    }

    private static final String ACCURACY = "[{\"name\": \"accuracy\", \"top_k\": 1}]";

    /** The repository's test slice: the first 1000 images of the Fashion-MNIST test set. */
    private String testSet() {
        return idxDataset(TestFiles.testImages().toString(), TestFiles.testLabels().toString());
    }

    /** A benchmark: the full 10k test set is not in the repository (-Dpot4j.data=DIR, see testdata/README.md). */
    @ParameterizedTest
    @ValueSource(strings = {"cnn_relu", "mobilenet_v2_tiny", "cnn_relu_outlier"})
    @EnabledIfSystemProperty(named = "pot4j.data", matches = ".+")
    void fullTestSetAccuracyMatchesTheModelCard(String model) throws Exception {
        JsonNode card = JSON.readTree(TestFiles.modelsJson().toFile()).get("models").get(model);
        Path config = config(TestFiles.model(model).toString(), idxDataset(
                TestFiles.fullData("t10k-images-idx3-ubyte.gz").toString(),
                TestFiles.fullData("t10k-labels-idx1-ubyte.gz").toString()), ACCURACY);
        RealServer.Run run = RealServer.run(evaluate, "-c", config.toString(), "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode result = JSON.readTree(run.out());
        assertEquals(10000, result.get("samples").asInt());
        assertEquals(card.get("fp32_top1_t10k").asDouble(), result.get("metrics").get("accuracy").asDouble(), 5e-5);
    }

    /** cnn_relu_outlier computes cnn_relu's function (models.json): the same top-1 on the repository's slice. */
    @Test
    void theOutlierModelScoresAsCnnReluOnTheTestSlice() throws Exception {
        double[] accuracy = new double[2];
        String[] models = {"cnn_relu", "cnn_relu_outlier"};
        for (int i = 0; i < models.length; i++) {
            Path config = config(TestFiles.model(models[i]).toString(), testSet(), ACCURACY);
            RealServer.Run run = RealServer.run(evaluate, "-c", config.toString(), "--json");
            assertEquals(0, run.exitCode(), run.err());
            JsonNode result = JSON.readTree(run.out());
            assertEquals(TestFiles.TEST_SLICE, result.get("samples").asInt());
            accuracy[i] = result.get("metrics").get("accuracy").asDouble();
        }
        assertTrue(accuracy[0] > 0.85, "cnn_relu top-1 " + accuracy[0]);
        assertEquals(accuracy[0], accuracy[1], 1e-9, "FP32 top-1 of cnn_relu and cnn_relu_outlier");
    }

    @Test
    void modelOverrideEvaluatesAnotherModelOnTheSameData() throws Exception {
        Path config = config(TestFiles.example("models/cnn_relu.onnx").toString(),
                idxDataset(TestFiles.example("data/test-1000-images-idx3-ubyte.gz").toString(),
                        TestFiles.example("data/test-1000-labels-idx1-ubyte.gz").toString()),
                ACCURACY.replace("]", ", {\"name\": \"similarity\", \"type\": \"cosine\"}]"));
        RealServer.Run same = RealServer.run(evaluate, "-c", config.toString(), "--json");
        RealServer.Run other = RealServer.run(evaluate, "-c", config.toString(), "-m",
                TestFiles.model("mobilenet_v2_tiny").toString(), "--json");
        assertEquals(0, same.exitCode(), same.err());
        assertEquals(0, other.exitCode(), other.err());
        double sameAccuracy = JSON.readTree(same.out()).get("metrics").get("accuracy").asDouble();
        double otherAccuracy = JSON.readTree(other.out()).get("metrics").get("accuracy").asDouble();
        assertTrue(Math.abs(sameAccuracy - otherAccuracy) > 1e-9, "a different model scores differently");
        assertEquals(1000, JSON.readTree(other.out()).get("samples").asInt());
    }

    @Test
    void tableOutputListsEachMetric() throws Exception {
        Path config = config(TestFiles.example("models/cnn_relu.onnx").toString(),
                idxDataset(TestFiles.example("data/test-1000-images-idx3-ubyte.gz").toString(),
                        TestFiles.example("data/test-1000-labels-idx1-ubyte.gz").toString()), ACCURACY);
        RealServer.Run run = RealServer.run(evaluate, "-c", config.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().matches("(?s).*accuracy\\s+0\\.9\\d{3}.*"), run.out());
    }

    private void assertBadInput(RealServer.Run run, String... fragments) {
        assertEquals(2, run.exitCode(), "exit code of bad input; stderr: " + run.err());
        for (String fragment : fragments) {
            assertTrue(run.err().contains(fragment), "'" + fragment + "' in: " + run.err());
        }
    }

    @Test
    void unknownLoaderIsNamedWithTheAvailableOnes() throws Exception {
        Path config = config(TestFiles.example("models/cnn_relu.onnx").toString(),
                "{\"loader\": \"idxx\", \"images\": \"x\"}", ACCURACY);
        assertBadInput(RealServer.run(evaluate, "-c", config.toString()), "engine.dataset.loader", "idxx",
                "did you mean 'idx'");
    }

    @Test
    void unknownMetricIsNamedWithTheAvailableOnes() throws Exception {
        Path config = config(TestFiles.example("models/cnn_relu.onnx").toString(), testSet(),
                "[{\"name\": \"acuracy\"}]");
        assertBadInput(RealServer.run(evaluate, "-c", config.toString()), "engine.metrics[0].name", "acuracy",
                "accuracy");
    }

    @Test
    void missingModelFileIsNamed() throws Exception {
        Path config = config(temp.resolve("nope.onnx").toString(), testSet(), ACCURACY);
        assertBadInput(RealServer.run(evaluate, "-c", config.toString()), "model.model", "nope.onnx");
    }

    @Test
    void missingDataFileIsNamed() throws Exception {
        Path config = config(TestFiles.example("models/cnn_relu.onnx").toString(),
                idxDataset(temp.resolve("missing-images.gz").toString(), temp.resolve("l.gz").toString()), ACCURACY);
        assertBadInput(RealServer.run(evaluate, "-c", config.toString()), "images", "missing-images.gz");
    }

    @Test
    void corruptModelIsABadInput() throws Exception {
        Path corrupt = temp.resolve("corrupt.onnx");
        byte[] bytes = Files.readAllBytes(TestFiles.example("models/cnn_relu.onnx"));
        Files.write(corrupt, java.util.Arrays.copyOf(bytes, bytes.length / 3));
        Path config = config(corrupt.toString(), testSet(), ACCURACY);
        assertBadInput(RealServer.run(evaluate, "-c", config.toString()), "corrupt.onnx");
    }

    @Test
    void wrongInputShapeNamesTheInputAndBothShapes() throws Exception {
        // NHWC samples [28, 28, 1] for a model that takes [N, 1, 28, 28]
        Path config = config(TestFiles.example("models/cnn_relu.onnx").toString(),
                testSet().replace("\"loader\": \"idx\",", "\"loader\": \"idx\", \"layout\": \"NHWC\","), ACCURACY);
        assertBadInput(RealServer.run(evaluate, "-c", config.toString()), "inputs.input", "28, 28, 1");
    }

    @Test
    void nanInDataIsNamed() throws Exception {
        Path npy = temp.resolve("bad.npy");
        Files.write(npy, npyFloats(new long[] {2, 1, 28, 28}, 5));
        Path labels = temp.resolve("labels.npy");
        Files.write(labels, npyLongs(new long[] {0, 1}));
        Path config = config(TestFiles.example("models/cnn_relu.onnx").toString(),
                "{\"loader\": \"npy\", \"data\": \"" + npy + "\", \"labels\": \"" + labels + "\"}", ACCURACY);
        assertBadInput(RealServer.run(evaluate, "-c", config.toString()), "bad.npy", "NaN");
    }

    @Test
    void configTypoSuggestsTheKey() throws Exception {
        Path file = temp.resolve("typo.json");
        Files.writeString(file, "{\"model\": {\"model\": \"m.onnx\"}, \"engine\": {\"dataset\": {\"loader\": \"idx\"},"
                + " \"metircs\": []}}");
        assertBadInput(RealServer.run(evaluate, "-c", file.toString()), "engine.metircs", "did you mean 'metrics'");
    }

    @Test
    void malformedJsonNamesTheLine() throws Exception {
        Path file = temp.resolve("broken.json");
        Files.writeString(file, "{\"model\": {\"model\": \"m.onnx\"\n}, }}");
        assertBadInput(RealServer.run(evaluate, "-c", file.toString()), "broken.json", "line 2");
    }

    @Test
    void missingConfigOptionAndUnknownOptionAreBadInput() throws Exception {
        assertBadInput(RealServer.run(evaluate), "-c");
        assertBadInput(RealServer.run(evaluate, "-c", "x.json", "--jsn"), "--jsn", "did you mean '--json'");
    }

    /** An NPY v1 file of float32 with the element at {@code nanIndex} set to NaN. */
    private static byte[] npyFloats(long[] shape, int nanIndex) {
        int count = 1;
        for (long dim : shape) {
            count *= (int) dim;
        }
        ByteBuffer data = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            data.putFloat(i == nanIndex ? Float.NaN : 0.5f);
        }
        return npy("<f4", shape, data.array());
    }

    private static byte[] npyLongs(long[] values) {
        ByteBuffer data = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long value : values) {
            data.putLong(value);
        }
        return npy("<i8", new long[] {values.length}, data.array());
    }

    private static byte[] npy(String dtype, long[] shape, byte[] data) {
        StringBuilder dims = new StringBuilder();
        for (long dim : shape) {
            dims.append(dim).append(", ");
        }
        String header = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (" + dims.toString().trim()
                + "), }";
        int total = 10 + header.length() + 1;
        header = header + " ".repeat((64 - total % 64) % 64) + "\n";
        ByteBuffer out = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        out.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII)).put(data);
        return out.array();
    }
}
