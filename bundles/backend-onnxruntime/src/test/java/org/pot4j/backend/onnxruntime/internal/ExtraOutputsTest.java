package org.pot4j.backend.onnxruntime.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.backend.SessionOptions.OptimizationLevel;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

class ExtraOutputsTest {
    private final OnnxRuntimeBackend backend = new OnnxRuntimeBackend(1, OptimizationLevel.ALL);

    private static String firstOutputOf(Graph graph, String opType) {
        return graph.nodes().stream().filter(node -> node.opType().equals(opType)).findFirst()
                .map(node -> node.outputs().get(0)).orElseThrow(() -> new AssertionError("no " + opType + " node"));
    }

    @Test
    void firstReluOfCnnReluIsReturnedBesideTheLogits() throws Exception {
        byte[] model = TestFiles.modelBytes("cnn_relu");
        String relu = firstOutputOf(OnnxCodec.read(model), "Relu");
        Tensor image = TestFiles.testBatch(0, 1, Tensor::ofFloats);
        float[] plainLogits;
        try (InferenceSession plain = backend.open(model, SessionOptions.defaults())) {
            plainLogits = plain.run(Map.of("input", image), List.of()).get("logits").floats();
        }

        try (InferenceSession session = backend.open(model, SessionOptions.defaults().withExtraOutputs(Set.of(relu)))) {
            assertEquals(List.of("logits", relu), session.outputNames());
            Map<String, Tensor> all = session.run(Map.of("input", image), List.of());
            assertEquals(List.of("logits", relu), List.copyOf(all.keySet()));
            Tensor activation = all.get(relu);
            long[] shape = activation.shape();
            assertEquals(4, shape.length, "NCHW activation");
            assertEquals(1, shape[0]);
            assertTrue(shape[1] > 1 && shape[2] > 1 && shape[3] > 1, "C, H, W > 1: " + activation);
            float max = 0;
            for (float value : activation.floats()) {
                assertTrue(value >= 0, "Relu output is never negative");
                max = Math.max(max, value);
            }
            assertTrue(max > 0, "some activation is positive");
            assertArrayEquals(plainLogits, all.get("logits").floats(), 1e-5f, "extra outputs leave the logits alone");

            Map<String, Tensor> onlyRelu = session.run(Map.of("input", image), List.of(relu));
            assertEquals(Set.of(relu), onlyRelu.keySet());
            assertArrayEquals(activation.floats(), onlyRelu.get(relu).floats());
        }
    }

    @Test
    void fusedOptimizationKeepsTheValuesOfTheOriginalGraph() throws Exception {
        // at level ALL ORT fuses Conv+Clip etc.; exposing the intermediates must still yield the unfused values
        Graph graph = OnnxCodec.read(TestFiles.modelBytes("mobilenet_v2_tiny"));
        Set<String> convOutputs = graph.nodes().stream().filter(node -> node.opType().equals("Conv")).limit(6)
                .map(node -> node.outputs().get(0)).collect(Collectors.toSet());
        Tensor images = TestFiles.testBatch(10, 2, Tensor::ofFloats);
        Map<String, Tensor> unoptimized;
        try (InferenceSession none = backend.open(graph, new SessionOptions(1, 1, OptimizationLevel.NONE, convOutputs, null))) {
            unoptimized = none.run(Map.of("input", images), List.of());
        }
        try (InferenceSession all = backend.open(graph, new SessionOptions(1, 1, OptimizationLevel.ALL, convOutputs, null))) {
            Map<String, Tensor> optimized = all.run(Map.of("input", images), List.of());
            assertEquals(1 + convOutputs.size(), optimized.size());
            for (String name : optimized.keySet()) {
                assertArrayEquals(unoptimized.get(name).shape(), optimized.get(name).shape(), name);
                float[] expected = unoptimized.get(name).floats();
                float[] actual = optimized.get(name).floats();
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], actual[i], 1e-3, name + "[" + i + "]");
                }
            }
        }
        assertEquals(1, graph.outputs().size(), "the caller's graph is not changed");
    }

    @Test
    void graphAndBytesGiveTheSameLogits() throws Exception {
        byte[] model = TestFiles.modelBytes("cnn_relu_outlier");
        Tensor images = TestFiles.testBatch(0, 4, Tensor::ofFloats);
        float[] fromBytes;
        try (InferenceSession session = backend.open(model, null)) {
            fromBytes = session.run(Map.of("input", images), List.of()).get("logits").floats();
        }
        try (InferenceSession session = backend.open(OnnxCodec.read(model), null)) {
            assertArrayEquals(fromBytes, session.run(Map.of("input", images), List.of()).get("logits").floats());
        }
    }

    @Test
    void unknownExtraOutputIsNamed() throws Exception {
        InvalidInputException error = assertThrows(InvalidInputException.class, () -> backend.open(
                TestFiles.modelBytes("cnn_relu"), SessionOptions.defaults().withExtraOutputs(Set.of("no_such_value"))));
        assertEquals("extraOutputs", error.field());
        assertEquals("no_such_value", error.value());
    }

    @Test
    void integerIntermediatesKeepTheirType() throws Exception {
        // a value with no declared type is left to ORT's type inference rather than assumed FLOAT
        Graph graph = OnnxCodec.read(TestFiles.modelBytes("cnn_relu"));
        String relu = firstOutputOf(graph, "Relu");
        graph.nodes().add(new Node("shape_of_relu", "Shape", List.of(relu), List.of("relu_shape")));
        try (InferenceSession session = backend.open(graph, SessionOptions.defaults().withExtraOutputs(Set.of("relu_shape")))) {
            Tensor shape = session.run(Map.of("input", TestFiles.testBatch(0, 3, Tensor::ofFloats)), List.of("relu_shape")).get("relu_shape");
            assertEquals(org.pot4j.api.tensor.DataType.INT64, shape.type());
            long[] dims = shape.toLongs();
            assertEquals(4, dims.length);
            assertEquals(3, dims[0]);
        }
    }
}
