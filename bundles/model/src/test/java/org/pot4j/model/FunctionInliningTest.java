package org.pot4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.FunctionProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;

/** A model-local function (as torch.onnx.export writes them) is inlined on read; ONNX Runtime gives the same outputs. */
class FunctionInliningTest {

    /** ScaledRelu(X) = Relu(X) · alpha, alpha an attribute with default 2, called twice (alpha 0.5, then the default). */
    private static ModelProto model() {
        OperatorSetIdProto onnx = OperatorSetIdProto.newBuilder().setDomain("").setVersion(13).build();
        FunctionProto function = FunctionProto.newBuilder().setName("ScaledRelu").setDomain("local")
                .addInput("X").addOutput("Y").addAttribute("alpha")
                .addAttributeProto(AttributeProto.newBuilder().setName("alpha").setType(AttributeProto.AttributeType.FLOAT).setF(2f))
                .addNode(NodeProto.newBuilder().setOpType("Relu").addInput("X").addOutput("r"))
                .addNode(NodeProto.newBuilder().setOpType("Constant").addOutput("a").addAttribute(AttributeProto.newBuilder()
                        .setName("value_float").setType(AttributeProto.AttributeType.FLOAT).setRefAttrName("alpha")))
                .addNode(NodeProto.newBuilder().setOpType("Mul").addInput("r").addInput("a").addOutput("Y"))
                .addOpsetImport(onnx).build();
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : new long[] {2, 3, 4, 4}) shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        TypeProto type = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape)).build();
        GraphProto graph = GraphProto.newBuilder().setName("functions")
                .addInput(ValueInfoProto.newBuilder().setName("x").setType(type))
                .addOutput(ValueInfoProto.newBuilder().setName("y").setType(type))
                .addNode(NodeProto.newBuilder().setName("half").setOpType("ScaledRelu").setDomain("local").addInput("x")
                        .addOutput("h").addAttribute(AttributeProto.newBuilder().setName("alpha")
                                .setType(AttributeProto.AttributeType.FLOAT).setF(0.5f)))
                .addNode(NodeProto.newBuilder().setOpType("ScaledRelu").setDomain("local").addInput("h").addOutput("y"))
                .build();
        return ModelProto.newBuilder().setIrVersion(8).addOpsetImport(onnx)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1))
                .addFunctions(function).setGraph(graph).build();
    }

    @Test
    void modelLocalFunctionsAreInlinedWithTheirAttributes() throws Exception {
        byte[] bytes = model().toByteArray();
        Map<String, float[]> expected = OpsetUpgradeTest.run(bytes);

        Graph graph = OnnxCodec.read(bytes, "functions");
        assertEquals(List.of("Relu", "Constant", "Mul", "Relu", "Constant", "Mul"),
                graph.nodes().stream().map(Node::opType).toList());
        assertEquals(0.5f, graph.node("half/Constant").orElseThrow().attribute("value_float").asFloat());
        assertArrayEquals(expected.get("y"), OpsetUpgradeTest.run(OnnxCodec.write(graph)).get("y"), 0f);
    }
}
