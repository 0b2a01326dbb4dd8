package org.pot4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/** Models of old opsets (7, 9, 10, 11) raised to 13: ONNX Runtime computes the same outputs before and after. */
class OpsetUpgradeTest {
    private static final long[] SHAPE = {2, 3, 4, 4};

    /** An opset-9 model with every node whose signature or meaning changed between 9 and 13 (as paddle2onnx writes). */
    private static Graph opset9() {
        Graph graph = model(9, 4);
        List<Node> nodes = graph.nodes();
        nodes.add(node("p2o.Clip.0", "Clip", List.of("x"), "clip", Map.of("min", Attribute.ofFloat(0.2f),
                "max", Attribute.ofFloat(0.7f))));
        // axis 1 of a rank-4 input: before 13 normalised over C·H·W together
        nodes.add(node("p2o.Softmax.0", "Softmax", List.of("clip"), "soft1", Map.of("axis", Attribute.ofInt(1))));
        // axis 3 = the last one: the rank comes from inference (Clip keeps it), not from value_info
        nodes.add(node("p2o.Softmax.1", "Softmax", List.of("clip"), "soft3", Map.of("axis", Attribute.ofInt(3))));
        nodes.add(node("up", "Upsample", List.of("soft3", "up_scales"), "up", Map.of("mode", Attribute.ofString("nearest"))));
        graph.initializers().put("up_scales", Tensor.ofFloats(new long[] {4}, new float[] {1, 1, 2, 2}));
        nodes.add(node("up_linear", "Upsample", List.of("x", "up_scales"), "up_linear",
                Map.of("mode", Attribute.ofString("linear"))));
        nodes.add(node("pad", "Pad", List.of("soft1"), "pad", Map.of("pads", Attribute.ofInts(new long[] {0, 0, 1, 1, 0, 0, 1, 1}),
                "value", Attribute.ofFloat(0.5f))));
        nodes.add(node("slice", "Slice", List.of("pad"), "slice", Map.of("starts", Attribute.ofInts(new long[] {1, 0}),
                "ends", Attribute.ofInts(new long[] {5, 3}), "axes", Attribute.ofInts(new long[] {2, 3}))));
        nodes.add(node("unsqueeze", "Unsqueeze", List.of("slice"), "unsq", Map.of("axes", Attribute.ofInts(new long[] {0}))));
        nodes.add(node("squeeze", "Squeeze", List.of("unsq"), "sq", Map.of("axes", Attribute.ofInts(new long[] {0}))));
        nodes.add(node("topk", "TopK", List.of("sq"), "top", Map.of("k", Attribute.ofInt(2))));
        nodes.get(nodes.size() - 1).outputs().add("top_indices");
        for (String output : List.of("soft1", "up", "up_linear", "top")) {
            graph.outputs().add(new ValueInfo(output, DataType.FLOAT, null));
        }
        return graph;
    }

    @Test
    void anOpset9ModelIsRaisedTo13WithTheSameOutputs() throws Exception {
        Graph graph = opset9();
        Map<String, float[]> before = run(OnnxCodec.write(graph));

        Graph upgraded = OnnxCodec.read(OnnxCodec.write(graph));
        List<String> notes = ModelPreparation.prepare(upgraded);
        assertEquals(13, upgraded.opset());
        assertTrue(notes.get(0).contains("from 9 to 13"), notes.toString());
        assertFalse(upgraded.nodes().stream().anyMatch(n -> n.opType().equals("Upsample")), "Upsample became Resize");
        assertEquals(-1, upgraded.node("p2o.Softmax.1").orElseThrow().intAttribute("axis", 0),
                "the last axis by inferred rank");
        Map<String, float[]> after = run(OnnxCodec.write(upgraded));
        for (String output : before.keySet()) {
            assertArrayEquals(before.get(output), after.get(output), 1e-6f, output);
        }
    }

    @Test
    void anOpset7UpsampleWithScalesAttributeAndAnOpset10ResizeKeepTheirMeaning() throws Exception {
        Graph seven = model(7, 4);
        seven.nodes().add(node("up", "Upsample", List.of("x"), "y", Map.of("scales",
                Attribute.ofFloats(new float[] {1, 1, 2, 3}))));
        seven.nodes().add(node("bn", "BatchNormalization", List.of("y", "bn_s", "bn_b", "bn_m", "bn_v"), "bn",
                Map.of("spatial", Attribute.ofInt(1))));
        for (String p : List.of("bn_s", "bn_b", "bn_m", "bn_v")) {
            seven.initializers().put(p, Tensor.ofFloats(new long[] {3}, new float[] {0.5f, 1f, 2f}));
        }
        seven.outputs().add(new ValueInfo("bn", DataType.FLOAT, null));
        seven.outputs().add(new ValueInfo("y", DataType.FLOAT, null));
        Graph ten = model(10, 4);
        ten.nodes().add(node("resize", "Resize", List.of("x", "scales"), "y", Map.of()));
        ten.initializers().put("scales", Tensor.ofFloats(new long[] {4}, new float[] {1, 1, 0.5f, 1.5f}));
        ten.outputs().add(new ValueInfo("y", DataType.FLOAT, null));
        for (Graph graph : List.of(seven, ten)) {
            Map<String, float[]> before = run(OnnxCodec.write(graph));
            Graph upgraded = graph.copy();
            assertTrue(OpsetUpgrade.ensure(upgraded, 13));
            Map<String, float[]> after = run(OnnxCodec.write(upgraded));
            for (String output : before.keySet()) {
                assertArrayEquals(before.get(output), after.get(output), 1e-6f, output);
            }
        }
    }

    @Test
    void softmaxOfUnknownRankIsWrappedSoItKeepsItsMeaning() throws Exception {
        Graph graph = model(11, -1);
        graph.nodes().add(node("softmax", "Softmax", List.of("x"), "y", Map.of()));
        graph.outputs().add(new ValueInfo("y", DataType.FLOAT, null));
        float[] before = run(OnnxCodec.write(graph)).get("y");
        Graph upgraded = graph.copy();
        OpsetUpgrade.ensure(upgraded, 13);
        assertEquals(List.of("Flatten", "Shape", "Softmax", "Reshape"), upgraded.nodes().stream().map(Node::opType).toList());
        assertArrayEquals(before, run(OnnxCodec.write(upgraded)).get("y"), 1e-6f);
    }

    @Test
    void aNodeWithoutEquivalentIsNamedBeforeAnyDataIsRead() {
        Graph graph = model(8, 4);
        graph.nodes().add(node("bn0", "BatchNormalization", List.of("x", "s", "s", "s", "s"), "y",
                Map.of("spatial", Attribute.ofInt(0))));
        Pot4jException error = assertThrows(Pot4jException.class, () -> ModelPreparation.prepare(graph));
        assertEquals("MODEL_ERROR", error.code());
        assertTrue(error.getMessage().contains("'bn0' (BatchNormalization)") && error.getMessage().contains("spatial"),
                error.getMessage());

        Graph ancient = model(6, 4);
        error = assertThrows(Pot4jException.class, () -> ModelPreparation.prepare(ancient));
        assertTrue(error.getMessage().contains("opset 6 is older than 7"), error.getMessage());
    }

    // ------------------------------------------------------------------ helpers

    /** An empty model of {@code opset} with input x: FLOAT [2, 3, 4, 4], rank declared only when {@code rank} > 0. */
    static Graph model(long opset, int rank) {
        Graph graph = new Graph();
        graph.setIrVersion(opset >= 9 ? 4 : 3);
        graph.opsets().put("", opset);
        List<ValueInfo.Dim> dims = null;
        if (rank > 0) {
            dims = new ArrayList<>();
            for (long d : SHAPE) dims.add(ValueInfo.Dim.of(d));
        }
        graph.inputs().add(new ValueInfo("x", DataType.FLOAT, dims));
        return graph;
    }

    static Node node(String name, String op, List<String> inputs, String output, Map<String, Attribute> attributes) {
        return new Node(name, op, "", new ArrayList<>(inputs), new ArrayList<>(List.of(output)),
                new LinkedHashMap<>(attributes));
    }

    /** Every float output of the model for x = a fixed ramp of shape [2, 3, 4, 4]. */
    static Map<String, float[]> run(byte[] model) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] x = new float[96];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.37) * 2;
        Map<String, float[]> outputs = new LinkedHashMap<>();
        try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions());
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), SHAPE);
             OrtSession.Result result = session.run(Map.of("x", input))) {
            for (Map.Entry<String, ai.onnxruntime.OnnxValue> entry : result) {
                if (entry.getValue() instanceof OnnxTensor tensor && tensor.getInfo().type
                        == ai.onnxruntime.OnnxJavaType.FLOAT) {
                    outputs.put(entry.getKey(), tensor.getFloatBuffer().array());
                }
            }
        }
        return outputs;
    }
}
