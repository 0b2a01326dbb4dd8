package org.pot4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;

/**
 * If models as torch.jit.script exports them: branch outputs with a type whose value is not set (ONNX Runtime infers
 * it), a Conv in each branch; the condition either an initializer (folded) or computed from the data (left as is).
 */
class ControlFlowTest {

    /** x [2, 3, 4, 4] → If(cond) { Conv(x, w_then) } else { Conv(x, w_else) } → y; cond an initializer or ReduceMean(x) > 0. */
    static ModelProto ifModel(Boolean constantCondition, int opset) {
        GraphProto.Builder graph = GraphProto.newBuilder().setName("if_model")
                .addInput(tensorInfo("x", 2, 3, 4, 4))
                .addOutput(tensorInfo("y", 2, 2, 4, 4))
                .addInitializer(floats("w_then", new long[] {2, 3, 1, 1}, 0.5f, -0.25f))
                .addInitializer(floats("w_else", new long[] {2, 3, 1, 1}, -1f, 2f));
        if (constantCondition != null) {
            graph.addInitializer(TensorProto.newBuilder().setName("cond").setDataType(TensorProto.DataType.BOOL_VALUE)
                    .setRawData(ByteString.copyFrom(new byte[] {(byte) (constantCondition ? 1 : 0)})));
        } else {
            graph.addNode(NodeProto.newBuilder().setName("mean").setOpType("ReduceMean").addInput("x").addOutput("m")
                    .addAttribute(AttributeProto.newBuilder().setName("keepdims").setType(AttributeProto.AttributeType.INT).setI(0)));
            graph.addInitializer(floats("zero", new long[0], 0f, 0f));
            graph.addNode(NodeProto.newBuilder().setName("positive").setOpType("Greater").addInput("m").addInput("zero")
                    .addOutput("cond"));
        }
        graph.addNode(NodeProto.newBuilder().setName("if").setOpType("If").addInput("cond").addOutput("y")
                .addAttribute(branch("then_branch", "w_then", "conv_then", "y_then"))
                .addAttribute(branch("else_branch", "w_else", "conv_else", "y_else")));
        return ModelProto.newBuilder().setIrVersion(7).setProducerName("test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph).build();
    }

    private static AttributeProto branch(String name, String weight, String conv, String output) {
        GraphProto body = GraphProto.newBuilder().setName(name)
                .addNode(NodeProto.newBuilder().setName(conv).setOpType("Conv").addInput("x").addInput(weight).addOutput(output))
                // torch.jit.script writes branch outputs with an empty type: ONNX Runtime infers it
                .addOutput(ValueInfoProto.newBuilder().setName(output).setType(TypeProto.newBuilder()))
                .build();
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.GRAPH).setG(body).build();
    }

    private static ValueInfoProto tensorInfo(String name, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    /** A tensor alternating {@code a} and {@code b}. */
    private static TensorProto floats(String name, long[] shape, float a, float b) {
        long count = 1;
        for (long d : shape) count *= d;
        ByteBuffer buffer = ByteBuffer.allocate((int) count * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) buffer.putFloat(i % 2 == 0 ? a : b + i * 0.1f);
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(buffer.array()));
        for (long d : shape) tensor.addDims(d);
        return tensor.build();
    }

    @Test
    void branchOutputsWithoutATypeAreReadAndWrittenAsOnnxRuntimeTakesThem() throws Exception {
        byte[] bytes = ifModel(null, 13).toByteArray();
        Map<String, float[]> expected = OpsetUpgradeTest.run(bytes);

        Graph graph = OnnxCodec.read(bytes, "if_model");
        Graph thenBranch = graph.node("if").orElseThrow().attribute("then_branch").asGraph();
        assertEquals(null, thenBranch.outputs().get(0).type(), "untyped, as in the file");
        byte[] written = OnnxCodec.write(graph);
        assertArrayEquals(expected.get("y"), OpsetUpgradeTest.run(written).get("y"), 0f);
        assertArrayEquals(written, OnnxCodec.write(OnnxCodec.read(written)), "a stable round trip");
    }

    @Test
    void anIfWithAConstantConditionIsReplacedByItsBranch() throws Exception {
        for (boolean condition : List.of(true, false)) {
            byte[] bytes = ifModel(condition, 11).toByteArray();
            Map<String, float[]> expected = OpsetUpgradeTest.run(bytes);

            Graph graph = OnnxCodec.read(bytes, "if_model");
            List<String> notes = ModelPreparation.prepare(graph);
            assertFalse(graph.nodes().stream().anyMatch(n -> n.opType().equals("If")), notes.toString());
            String conv = condition ? "conv_then" : "conv_else";
            Node inlined = graph.node(conv).orElseThrow();
            assertEquals("y", inlined.output(0), "the branch's Conv writes the If's output");
            assertTrue(notes.get(0).contains("If 'if' has a constant condition (" + condition + ")"), notes.toString());
            assertEquals(13, graph.opset());
            assertArrayEquals(expected.get("y"), OpsetUpgradeTest.run(OnnxCodec.write(graph)).get("y"), 0f);
        }
    }

    @Test
    void anIfOnTheDataStaysAndItsBranchesAreUpgradedToo() throws Exception {
        byte[] bytes = ifModel(null, 11).toByteArray();
        Graph graph = OnnxCodec.read(bytes, "if_model");
        ModelPreparation.prepare(graph);
        assertTrue(graph.node("if").isPresent());
        assertArrayEquals(OpsetUpgradeTest.run(bytes).get("y"), OpsetUpgradeTest.run(OnnxCodec.write(graph)).get("y"), 0f);
    }

    @Test
    void layersInsideBranchesOnTheDataGetTheirQdqInsideTheBranch() throws Exception {
        byte[] bytes = ifModel(null, 13).toByteArray();
        Graph graph = OnnxCodec.read(bytes, "if_model");
        Graph view = ControlFlow.withBranchNodes(graph);
        assertTrue(view.node("conv_then").isPresent() && view.node("conv_else").isPresent(), "branch nodes in the view");
        assertEquals(graph.nodes().size(), OnnxCodec.read(bytes).nodes().size(), "the model itself unchanged");

        org.pot4j.api.plan.QuantizationPlan plan = new org.pot4j.api.plan.QuantizationPlan();
        for (String conv : List.of("conv_then", "conv_else")) {
            Node node = view.node(conv).orElseThrow();
            plan.quantizers().put(new org.pot4j.api.plan.QuantizationPoint(conv, 0, "x",
                    org.pot4j.api.plan.QuantizationPoint.Kind.ACTIVATION), new org.pot4j.api.plan.Quantizer(8, false, -1,
                    0, 255, new float[] {-2.5f}, new float[] {2.5f}, "test"));
            plan.quantizers().put(new org.pot4j.api.plan.QuantizationPoint(conv, 1, node.input(1),
                    org.pot4j.api.plan.QuantizationPoint.Kind.WEIGHT), new org.pot4j.api.plan.Quantizer(8, true, -1,
                    -127, 127, new float[] {-5f}, new float[] {5f}, "test"));
        }
        Graph quantized = QdqWriter.apply(graph, plan);
        for (String branch : List.of("then_branch", "else_branch")) {
            List<String> ops = quantized.node("if").orElseThrow().attribute(branch).asGraph().nodes().stream()
                    .map(Node::opType).toList();
            assertEquals(List.of("QuantizeLinear", "DequantizeLinear", "DequantizeLinear", "Conv"), ops, branch);
        }
        assertFalse(quantized.initializers().containsKey("w_then"), "the float weight is replaced in its branch");
        float[] expected = OpsetUpgradeTest.run(bytes).get("y");
        float[] actual = OpsetUpgradeTest.run(OnnxCodec.write(quantized)).get("y");
        double dot = 0, a = 0, b = 0;
        for (int i = 0; i < expected.length; i++) {
            dot += expected[i] * actual[i];
            a += expected[i] * expected[i];
            b += actual[i] * actual[i];
        }
        assertTrue(dot / Math.sqrt(a * b) > 0.99, "INT8 branch close to FP32: cosine " + dot / Math.sqrt(a * b));
        assertFalse(java.util.Arrays.equals(expected, actual), "the branch computes on quantized values");
    }

    @Test
    void aConstantIfNestedInABranchOnTheDataIsFoldedAndItsNodesAreCandidates() throws Exception {
        Graph graph = OnnxCodec.read(ifModel(null, 13).toByteArray(), "if_model");
        Graph thenBranch = graph.node("if").orElseThrow().attribute("then_branch").asGraph();
        Node conv = thenBranch.nodes().remove(0);
        Graph innerThen = new Graph();
        innerThen.setName("inner_then");
        conv.outputs().set(0, "inner_y");
        innerThen.nodes().add(conv);
        innerThen.outputs().add(new org.pot4j.api.graph.ValueInfo("inner_y", null, null));
        Graph innerElse = new Graph();
        innerElse.setName("inner_else");
        innerElse.nodes().add(new Node("identity", "Identity", "", List.of("x"), List.of("never"), Map.of()));
        innerElse.outputs().add(new org.pot4j.api.graph.ValueInfo("never", null, null));
        thenBranch.nodes().add(new Node("always", "Constant", "", List.of(), List.of("always"), Map.of("value",
                org.pot4j.api.graph.Attribute.ofTensor(new org.pot4j.api.tensor.Tensor(org.pot4j.api.tensor.DataType.BOOL,
                        new long[0], new byte[] {1})))));
        thenBranch.nodes().add(new Node("inner_if", "If", "", List.of("always"), List.of("y_then"), Map.of(
                "then_branch", org.pot4j.api.graph.Attribute.ofGraph(innerThen),
                "else_branch", org.pot4j.api.graph.Attribute.ofGraph(innerElse))));
        float[] expected = OpsetUpgradeTest.run(OnnxCodec.write(graph)).get("y");

        List<String> notes = ModelPreparation.prepare(graph);
        assertTrue(notes.toString().contains("If 'inner_if'"), notes.toString());
        Graph folded = graph.node("if").orElseThrow().attribute("then_branch").asGraph();
        assertEquals(List.of("Constant", "Conv"), folded.nodes().stream().map(Node::opType).toList());
        assertTrue(ControlFlow.withBranchNodes(graph).node("conv_then").isPresent());
        assertArrayEquals(expected, OpsetUpgradeTest.run(OnnxCodec.write(graph)).get("y"), 0f);
    }
}
