package org.pot4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.testsupport.TestFiles;

class OnnxCodecTest {

    private static Graph everyFeature() {
        Graph body = new Graph();
        body.setName("then_branch");
        body.setDocString("a subgraph");
        body.nodes().add(new Node("inner", "Identity", List.of("x"), List.of("y")));
        body.outputs().add(new ValueInfo("y", DataType.FLOAT, List.of(ValueInfo.Dim.symbolic("N"))));

        Map<String, Attribute> attributes = new LinkedHashMap<>();
        attributes.put("f", Attribute.ofFloat(0.25f));
        attributes.put("i", Attribute.ofInt(-7));
        attributes.put("s", Attribute.ofString("héllo"));
        attributes.put("t", Attribute.ofTensor(Tensor.ofFloats(new long[] {2}, new float[] {1.5f, -2f})));
        attributes.put("g", Attribute.ofGraph(body));
        attributes.put("floats", Attribute.ofFloats(new float[] {1f, 2f}));
        attributes.put("ints", Attribute.ofInts(new long[] {3, Long.MIN_VALUE}));
        attributes.put("strings", Attribute.ofStrings(List.of("a", "b")));
        attributes.put("tensors", Attribute.ofTensors(List.of(Tensor.ofLongs(new long[] {1}, new long[] {9}))));
        attributes.put("graphs", Attribute.ofGraphs(List.of(body, body)));
        Node custom = new Node("custom", "Anything", "com.example", List.of("input", "w_f32"), List.of("out"), attributes);
        custom.setDocString("node doc");

        Graph graph = new Graph();
        graph.setName("main");
        graph.setDocString("model doc");
        graph.setIrVersion(9);
        graph.setProducerName("pot4j-test");
        graph.setProducerVersion("1.2.3");
        graph.opsets().put("", 17L);
        graph.opsets().put("com.example", 1L);
        graph.metadata().put("author", "me");
        graph.metadata().put("pot4j.config", "{\"a\": 1}");
        graph.nodes().add(custom);
        graph.inputs().add(new ValueInfo("input", DataType.FLOAT,
                List.of(ValueInfo.Dim.symbolic("batch"), ValueInfo.Dim.of(3), new ValueInfo.Dim(null, null))));
        graph.outputs().add(new ValueInfo("out", DataType.FLOAT, null));
        graph.valueInfos().add(new ValueInfo("untyped", null, null));
        graph.initializers().put("w_f32", Tensor.ofFloats(new long[] {2, 2}, new float[] {1, -2, 3.5f, Float.NaN}));
        graph.initializers().put("w_f64", new Tensor(DataType.DOUBLE, new long[] {2}, new double[] {1e300, -0.5}));
        graph.initializers().put("w_i8", new Tensor(DataType.INT8, new long[] {3}, new byte[] {-128, 0, 127}));
        graph.initializers().put("w_u8", new Tensor(DataType.UINT8, new long[] {2}, new byte[] {(byte) 255, 1}));
        graph.initializers().put("w_i16", new Tensor(DataType.INT16, new long[] {2}, new short[] {-32768, 32767}));
        graph.initializers().put("w_u16", new Tensor(DataType.UINT16, new long[] {1}, new short[] {(short) 65535}));
        graph.initializers().put("w_f16", new Tensor(DataType.FLOAT16, new long[] {1}, new short[] {0x3C00}));
        graph.initializers().put("w_i32", new Tensor(DataType.INT32, new long[] {2}, new int[] {Integer.MIN_VALUE, 5}));
        graph.initializers().put("w_u32", new Tensor(DataType.UINT32, new long[] {1}, new int[] {-1}));
        graph.initializers().put("w_i64", Tensor.ofLongs(new long[] {}, new long[] {Long.MAX_VALUE}));
        graph.initializers().put("w_u64", new Tensor(DataType.UINT64, new long[] {1}, new long[] {-1}));
        graph.initializers().put("w_bool", new Tensor(DataType.BOOL, new long[] {2}, new byte[] {1, 0}));
        graph.initializers().put("w_str", new Tensor(DataType.STRING, new long[] {2}, new String[] {"x", "ÿ"}));
        graph.initializers().put("w_empty", Tensor.ofFloats(new long[] {0, 4}, new float[0]));
        return graph;
    }

    @Test
    void everyAttributeTypeDataTypeAndModelFieldRoundTrips() {
        Graph graph = everyFeature();
        byte[] bytes = OnnxCodec.write(graph);
        Graph read = OnnxCodec.read(bytes);

        assertEquals("main", read.name());
        assertEquals("model doc", read.docString());
        assertEquals(9, read.irVersion());
        assertEquals("pot4j-test", read.producerName());
        assertEquals("1.2.3", read.producerVersion());
        assertEquals(graph.opsets(), read.opsets());
        assertEquals(List.copyOf(graph.opsets().keySet()), List.copyOf(read.opsets().keySet()));
        assertEquals(graph.metadata(), read.metadata());
        assertEquals(graph.inputs(), read.inputs());
        assertEquals(graph.outputs(), read.outputs());
        assertEquals(graph.valueInfos(), read.valueInfos());

        Node node = read.nodes().get(0);
        assertEquals("custom", node.name());
        assertEquals("com.example", node.domain());
        assertEquals("node doc", node.docString());
        assertEquals(List.copyOf(graph.nodes().get(0).attributes().keySet()), List.copyOf(node.attributes().keySet()));
        assertEquals(0.25f, node.attribute("f").asFloat());
        assertEquals(-7, node.attribute("i").asInt());
        assertEquals("héllo", node.attribute("s").asString());
        assertArrayEquals(new float[] {1.5f, -2f}, node.attribute("t").asTensor().floats());
        assertArrayEquals(new float[] {1f, 2f}, node.attribute("floats").asFloats());
        assertArrayEquals(new long[] {3, Long.MIN_VALUE}, node.attribute("ints").asInts());
        assertEquals(List.of("a", "b"), node.attribute("strings").asStrings());
        assertArrayEquals(new long[] {9}, node.attribute("tensors").asTensors().get(0).toLongs());
        Graph body = node.attribute("g").asGraph();
        assertEquals("then_branch", body.name());
        assertEquals("a subgraph", body.docString());
        assertEquals("Identity", body.nodes().get(0).opType());
        assertEquals(List.of(new ValueInfo("y", DataType.FLOAT, List.of(ValueInfo.Dim.symbolic("N")))), body.outputs());
        assertEquals(2, node.attribute("graphs").asGraphs().size());

        assertEquals(List.copyOf(graph.initializers().keySet()), List.copyOf(read.initializers().keySet()));
        graph.initializers().forEach((name, expected) -> {
            Tensor actual = read.initializers().get(name);
            assertEquals(expected.type(), actual.type(), name);
            assertArrayEquals(expected.shape(), actual.shape(), name);
            assertTrue(Arrays.deepEquals(new Object[] {expected.data()}, new Object[] {actual.data()}), name);
        });
        assertArrayEquals(bytes, OnnxCodec.write(read), "a second round trip writes the same bytes");
    }

    private static TensorProto.Builder typed(String name, TensorProto.DataType type, long... dims) {
        TensorProto.Builder builder = TensorProto.newBuilder().setName(name).setDataType(type.getNumber());
        for (long dim : dims) builder.addDims(dim);
        return builder;
    }

    private static ValueInfoProto floatInput(String name, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long dim : dims) shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(dim));
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape))).build();
    }

    @Test
    void typedDataFieldsAreRead() {
        GraphProto graph = GraphProto.newBuilder().setName("g")
                .addInitializer(typed("f", TensorProto.DataType.FLOAT, 2).addFloatData(1.5f).addFloatData(-3f))
                .addInitializer(typed("d", TensorProto.DataType.DOUBLE, 1).addDoubleData(2.25))
                .addInitializer(typed("i64", TensorProto.DataType.INT64, 2).addInt64Data(-1).addInt64Data(1L << 40))
                .addInitializer(typed("i32", TensorProto.DataType.INT32, 1).addInt32Data(-5))
                .addInitializer(typed("i16", TensorProto.DataType.INT16, 1).addInt32Data(-300))
                .addInitializer(typed("i8", TensorProto.DataType.INT8, 2).addInt32Data(-128).addInt32Data(127))
                .addInitializer(typed("u8", TensorProto.DataType.UINT8, 1).addInt32Data(200))
                .addInitializer(typed("u16", TensorProto.DataType.UINT16, 1).addInt32Data(60000))
                .addInitializer(typed("u32", TensorProto.DataType.UINT32, 1).addUint64Data(4000000000L))
                .addInitializer(typed("b", TensorProto.DataType.BOOL, 1).addInt32Data(1))
                .addInitializer(typed("s", TensorProto.DataType.STRING, 1)
                        .addStringData(com.google.protobuf.ByteString.copyFromUtf8("txt")))
                .addOutput(floatInput("f", 2)).build();
        Graph read = OnnxCodec.read(model(graph, 13).toByteArray());
        Map<String, Tensor> t = read.initializers();
        assertArrayEquals(new float[] {1.5f, -3f}, t.get("f").floats());
        assertArrayEquals(new float[] {2.25f}, t.get("d").toFloats());
        assertArrayEquals(new long[] {-1, 1L << 40}, t.get("i64").toLongs());
        assertArrayEquals(new long[] {-5}, t.get("i32").toLongs());
        assertArrayEquals(new long[] {-300}, t.get("i16").toLongs());
        assertArrayEquals(new long[] {-128, 127}, t.get("i8").toLongs());
        assertArrayEquals(new long[] {200}, t.get("u8").toLongs());
        assertArrayEquals(new long[] {60000}, t.get("u16").toLongs());
        assertArrayEquals(new long[] {4000000000L}, t.get("u32").toLongs());
        assertArrayEquals(new long[] {1}, t.get("b").toLongs());
        assertArrayEquals(new String[] {"txt"}, (String[]) t.get("s").data());
        // written back as raw_data, the values survive
        Graph again = OnnxCodec.read(OnnxCodec.write(read));
        t.forEach((name, tensor) -> assertTrue(Arrays.deepEquals(new Object[] {tensor.data()},
                new Object[] {again.initializers().get(name).data()}), name));
    }

    private static ModelProto model(GraphProto graph, long opset) {
        return ModelProto.newBuilder().setIrVersion(7).setProducerName("test").setGraph(graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(opset))
                .addMetadataProps(StringStringEntryProto.newBuilder().setKey("k").setValue("v")).build();
    }

    @Test
    void initializersListedAsInputsSurvive() throws Exception {
        // old exporters list weights as graph inputs too
        GraphProto graph = GraphProto.newBuilder().setName("old")
                .addNode(NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("bias").addOutput("y"))
                .addInitializer(typed("bias", TensorProto.DataType.FLOAT, 2).addFloatData(10f).addFloatData(20f))
                .addInput(floatInput("x", 2)).addInput(floatInput("bias", 2))
                .addOutput(floatInput("y", 2)).build();
        Graph read = OnnxCodec.read(model(graph, 13).toByteArray());
        assertEquals(List.of("x"), read.inputs().stream().map(ValueInfo::name).toList(),
                "the IR lists no initializer as input");
        assertTrue(read.isInitializer("bias"));

        ModelProto written = ModelProto.parseFrom(OnnxCodec.write(read));
        assertEquals(List.of("x", "bias"), written.getGraph().getInputList().stream().map(ValueInfoProto::getName).toList());
        assertEquals(0, written.getGraph().getValueInfoCount());
        assertEquals(1, written.getGraph().getInitializerCount());

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(written.toByteArray(), new OrtSession.SessionOptions());
             OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[] {1, 2}), new long[] {2});
             OrtSession.Result result = session.run(Map.of("x", x))) {
            assertArrayEquals(new float[] {11, 22}, ((OnnxTensor) result.get(0)).getFloatBuffer().array());
        }
    }

    @Test
    void irVersion3ListsEveryInitializerAsInput() throws Exception {
        Graph graph = everyFeature();
        graph.setIrVersion(3);
        ModelProto written = ModelProto.parseFrom(OnnxCodec.write(graph));
        List<String> inputs = written.getGraph().getInputList().stream().map(ValueInfoProto::getName).toList();
        assertTrue(inputs.containsAll(graph.initializers().keySet()), inputs.toString());
        assertEquals(List.of("input"), OnnxCodec.read(written.toByteArray()).inputs().stream().map(ValueInfo::name).toList());
    }

    @Test
    void modelFieldsWithoutAPlaceInTheIrTravelInReservedMetadata() throws Exception {
        GraphProto graph = GraphProto.newBuilder().setName("g").setDocString("graph doc")
                .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("x").addOutput("y"))
                .addInput(floatInput("x", 1)).addOutput(floatInput("y", 1)).build();
        ModelProto source = model(graph, 13).toBuilder().setDomain("org.example").setModelVersion(42)
                .setDocString("model doc").build();
        Graph read = OnnxCodec.read(source.toByteArray());
        assertEquals("model doc", read.docString());
        assertEquals("org.example", read.metadata().get(OnnxCodec.RESERVED_METADATA_PREFIX + "model_domain"));
        ModelProto written = ModelProto.parseFrom(OnnxCodec.write(read));
        assertEquals(source, written);
    }

    @Test
    void corruptBytesGiveAModelError() throws Exception {
        byte[] model = Files.readAllBytes(TestFiles.model("cnn_relu"));
        byte[] truncated = Arrays.copyOf(model, model.length / 2);
        Pot4jException error = assertThrows(Pot4jException.class, () -> OnnxCodec.read(truncated, "half.onnx"));
        assertEquals("MODEL_ERROR", error.code());
        assertTrue(error.getMessage().startsWith("half.onnx: not a valid ONNX model"), error.getMessage());

        byte[] text = "this is not a model, just some text\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        error = assertThrows(Pot4jException.class, () -> OnnxCodec.read(text, "notes.txt"));
        assertEquals("MODEL_ERROR", error.code());
        assertTrue(error.getMessage().startsWith("notes.txt: "), error.getMessage());

        byte[] noise = new byte[4096];
        new java.util.Random(7).nextBytes(noise);
        error = assertThrows(Pot4jException.class, () -> OnnxCodec.read(noise, "noise.bin"));
        assertEquals("MODEL_ERROR", error.code());

        error = assertThrows(Pot4jException.class, () -> OnnxCodec.read(new byte[0], "empty.onnx"));
        assertTrue(error.getMessage().contains("empty"), error.getMessage());
    }

    @Test
    void corruptFileIsNamedInTheError(@TempDir Path folder) throws Exception {
        Path file = folder.resolve("broken.onnx");
        Files.write(file, new byte[] {0x08, (byte) 0xFF, (byte) 0xFF});
        Pot4jException error = assertThrows(Pot4jException.class, () -> OnnxCodec.read(file));
        assertEquals("MODEL_ERROR", error.code());
        assertTrue(error.getMessage().contains(file.toString()), error.getMessage());
    }

    @Test
    void missingFileIsInvalidInputNamingThePath(@TempDir Path folder) {
        Path missing = folder.resolve("nope.onnx");
        InvalidInputException error = assertThrows(InvalidInputException.class, () -> OnnxCodec.read(missing));
        assertEquals(missing.toString(), error.value());
        assertTrue(error.getMessage().contains("does not exist"), error.getMessage());
    }

    @Test
    void directoryIsInvalidInputSayingSoNotThatItDoesNotExist(@TempDir Path folder) {
        InvalidInputException error = assertThrows(InvalidInputException.class, () -> OnnxCodec.read(folder));
        assertEquals(folder.toString(), error.value());
        assertTrue(error.getMessage().contains("is a directory, not a file"), error.getMessage());
        assertFalse(error.getMessage().contains("does not exist"), error.getMessage());
    }

    @Test
    void externalDataIsRejectedClearly() {
        GraphProto graph = GraphProto.newBuilder().setName("big")
                .addInitializer(typed("w", TensorProto.DataType.FLOAT, 4)
                        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("w.bin")))
                .addOutput(floatInput("w", 4)).build();
        Pot4jException error = assertThrows(Pot4jException.class,
                () -> OnnxCodec.read(model(graph, 13).toByteArray(), "big.onnx"));
        assertEquals("MODEL_ERROR", error.code());
        assertTrue(error.getMessage().contains("'w'") && error.getMessage().contains("external"), error.getMessage());
    }

    @Test
    void unsupportedDataTypeIsNamed() {
        GraphProto graph = GraphProto.newBuilder().setName("c")
                .addInitializer(typed("z", TensorProto.DataType.COMPLEX64, 1).setRawData(
                        com.google.protobuf.ByteString.copyFrom(new byte[8])))
                .addOutput(floatInput("z", 1)).build();
        Pot4jException error = assertThrows(Pot4jException.class, () -> OnnxCodec.read(model(graph, 13).toByteArray()));
        assertTrue(error.getMessage().contains("COMPLEX64") && error.getMessage().contains("'z'"), error.getMessage());
    }

    @Test
    void rawDataOfTheWrongSizeIsRejected() {
        GraphProto graph = GraphProto.newBuilder().setName("c")
                .addInitializer(typed("w", TensorProto.DataType.FLOAT, 3).setRawData(
                        com.google.protobuf.ByteString.copyFrom(new byte[8])))
                .addOutput(floatInput("w", 3)).build();
        Pot4jException error = assertThrows(Pot4jException.class, () -> OnnxCodec.read(model(graph, 13).toByteArray()));
        assertTrue(error.getMessage().contains("raw_data has 8 bytes"), error.getMessage());
    }

    @Test
    void writeToFileIsAtomicAndReadable(@TempDir Path folder) throws Exception {
        Graph graph = OnnxCodec.read(TestFiles.model("cnn_relu"));
        Path target = folder.resolve("out/model.onnx");
        OnnxCodec.write(graph, target);
        assertArrayEquals(OnnxCodec.write(graph), Files.readAllBytes(target));
        try (var files = Files.list(target.getParent())) {
            assertEquals(List.of(target), files.toList(), "no temporary file is left behind");
        }
        assertFalse(OnnxCodec.read(target).nodes().isEmpty());
    }
}
