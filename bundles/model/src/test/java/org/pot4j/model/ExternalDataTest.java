package org.pot4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/** Weights in a side file (ONNX external data): read from the model's folder, written back the same way. */
class ExternalDataTest {
    @TempDir
    Path temp;

    private static Graph convModel() {
        Graph graph = OpsetUpgradeTest.model(13, 4);
        float[] weight = new float[16 * 3 * 3 * 3]; // 1728 bytes: above the side-file threshold
        for (int i = 0; i < weight.length; i++) weight[i] = (float) Math.cos(i * 0.1);
        graph.initializers().put("w", Tensor.ofFloats(new long[] {16, 3, 3, 3}, weight));
        graph.initializers().put("b", Tensor.ofFloats(new long[] {16}, new float[16])); // 64 bytes: stays inside
        graph.nodes().add(OpsetUpgradeTest.node("conv", "Conv", List.of("x", "w", "b"), "y", Map.of()));
        graph.outputs().add(new ValueInfo("y", DataType.FLOAT, null));
        return graph;
    }

    @Test
    void aModelWithExternalDataIsReadAndWrittenWithItsSideFile() throws Exception {
        Graph graph = convModel();
        float[] expected = OpsetUpgradeTest.run(OnnxCodec.write(graph)).get("y");
        graph.metadata().put(OnnxCodec.RESERVED_METADATA_PREFIX + "external_data", "original.data");
        Path file = temp.resolve("model.onnx");
        OnnxCodec.write(graph, file);
        Path side = temp.resolve("model.onnx.data");
        assertTrue(Files.size(side) >= 1728, "the weight went to the side file");
        assertTrue(Files.size(file) < 1728, "the model file holds no weight: " + Files.size(file));
        assertArrayEquals(expected, runFile(file), 0f, "ONNX Runtime reads the side file");

        Graph read = OnnxCodec.read(file);
        assertTrue(OnnxCodec.hasExternalData(read));
        assertArrayEquals(graph.initializers().get("w").floats(), read.initializers().get("w").floats());
        assertTrue(!new String(OnnxCodec.write(read), java.nio.charset.StandardCharsets.ISO_8859_1).contains("external_data"),
                "in-memory bytes carry the data inline and no reserved key");

        Pot4jException error = assertThrows(Pot4jException.class, () -> OnnxCodec.read(Files.readAllBytes(file)));
        assertTrue(error.getMessage().contains("external file"), error.getMessage());
        Files.delete(side);
        error = assertThrows(Pot4jException.class, () -> OnnxCodec.read(file));
        assertTrue(error.getMessage().contains("model.onnx.data"), error.getMessage());
    }

    @Test
    void everyNumericTypeGoesToTheSideFileAndBackUnchanged() throws Exception {
        Graph graph = convModel();
        long[] longs = new long[300];
        double[] doubles = new double[300];
        byte[] bytes = new byte[3000];
        short[] halves = new short[700];
        for (int i = 0; i < longs.length; i++) {
            longs[i] = Long.MIN_VALUE / (i + 1);
            doubles[i] = Math.PI * i;
        }
        for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) i;
        for (int i = 0; i < halves.length; i++) halves[i] = (short) (i * 97);
        graph.initializers().put("longs", Tensor.ofLongs(new long[] {300}, longs));
        graph.initializers().put("doubles", new Tensor(DataType.DOUBLE, new long[] {10, 30}, doubles));
        graph.initializers().put("bytes", new Tensor(DataType.INT8, new long[] {3000}, bytes));
        graph.initializers().put("halves", new Tensor(DataType.FLOAT16, new long[] {700}, halves));
        Path file = temp.resolve("typed.onnx");
        OnnxCodec.write(graph, file, true);
        assertTrue(Files.size(file) < 1000, "every large tensor in the side file: " + Files.size(file) + " bytes");
        Graph read = OnnxCodec.read(file);
        assertEquals(graph.initializers().keySet(), read.initializers().keySet());
        graph.initializers().forEach((name, tensor) -> {
            Tensor back = read.initializers().get(name);
            assertEquals(tensor.type(), back.type(), name);
            assertArrayEquals(tensor.shape(), back.shape(), name);
            assertTrue(java.util.Objects.deepEquals(tensor.data(), back.data()), name);
        });
        // the side file holds the same bytes as the inline model's raw data: one digest for both
        assertEquals(OnnxCodec.digest(graph), OnnxCodec.digest(read));
        assertEquals(OnnxCodec.digest(graph), OnnxCodec.digest(OnnxCodec.read(OnnxCodec.write(graph))));
    }

    @Test
    void theDigestFollowsEveryWeightAndTheGraph() {
        Graph graph = convModel();
        String digest = OnnxCodec.digest(graph);
        assertEquals(digest, OnnxCodec.digest(graph.copy()), "a copy is the same model");
        Graph changedWeight = graph.copy();
        float[] weight = graph.initializers().get("w").floats().clone();
        weight[weight.length - 1] = Math.nextUp(weight[weight.length - 1]);
        changedWeight.initializers().put("w", Tensor.ofFloats(new long[] {16, 3, 3, 3}, weight));
        assertNotEquals(digest, OnnxCodec.digest(changedWeight), "one ulp of one weight");
        Graph reshaped = graph.copy();
        reshaped.initializers().put("b", Tensor.ofFloats(new long[] {16, 1}, new float[16]));
        assertNotEquals(digest, OnnxCodec.digest(reshaped), "a shape");
        Graph renamed = graph.copy();
        renamed.setName("other");
        assertNotEquals(digest, OnnxCodec.digest(renamed), "the graph around the weights");
    }

    private static float[] runFile(Path file) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] x = new float[96];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.37) * 2;
        try (OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions());
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {2, 3, 4, 4});
             OrtSession.Result result = session.run(Map.of("x", input))) {
            return ((OnnxTensor) result.get(0)).getFloatBuffer().array();
        }
    }
}
