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
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.DataType;
import org.pot4j.testsupport.TestFiles;

class GraphsTest {

    @Test
    void sharedModelsAreSortedAndAReversedGraphIsSortedBack() {
        Graph graph = OnnxCodec.read(TestFiles.model("mobilenet_v2_tiny"));
        assertTrue(Graphs.isTopologicallySorted(graph));
        List<Node> original = List.copyOf(graph.nodes());

        Collections.reverse(graph.nodes());
        assertFalse(Graphs.isTopologicallySorted(graph));
        Pot4jException error = assertThrows(Pot4jException.class, () -> Graphs.requireTopologicalOrder(graph));
        assertTrue(error.getMessage().contains("reads"), error.getMessage());

        Graphs.sortTopologically(graph);
        assertTrue(Graphs.isTopologicallySorted(graph));
        assertEquals(original.size(), graph.nodes().size());
    }

    @Test
    void sortingKeepsAValidOrderUnchangedAndDetectsCycles() {
        Graph graph = OnnxCodec.read(TestFiles.model("cnn_relu"));
        List<Node> before = List.copyOf(graph.nodes());
        Graphs.sortTopologically(graph);
        assertEquals(before, graph.nodes());

        Graph cycle = new Graph();
        cycle.inputs().add(new ValueInfo("x", DataType.FLOAT, null));
        cycle.nodes().add(new Node("a", "Add", List.of("x", "b_out"), List.of("a_out")));
        cycle.nodes().add(new Node("b", "Relu", List.of("a_out"), List.of("b_out")));
        Pot4jException error = assertThrows(Pot4jException.class, () -> Graphs.sortTopologically(cycle));
        assertTrue(error.getMessage().contains("cycle"), error.getMessage());
    }

    @Test
    void indexFindsProducersAndConsumers() {
        Graph graph = OnnxCodec.read(TestFiles.model("mobilenet_v2_tiny"));
        GraphIndex index = new GraphIndex(graph);
        for (Node node : graph.nodes()) {
            for (String output : node.outputs()) {
                assertEquals(node, index.producer(output).orElseThrow());
                assertEquals(graph.consumers(output), index.consumers(output));
            }
        }
        assertTrue(index.producer("input").isEmpty());
        assertFalse(index.consumers("input").isEmpty());
    }

    @Test
    void uniqueNamesAvoidEveryExistingName() {
        Graph graph = OnnxCodec.read(TestFiles.model("cnn_relu"));
        UniqueNames names = new UniqueNames(graph);
        String existing = graph.nodes().get(0).output(0);
        assertTrue(names.isTaken(existing));
        assertEquals(existing + "_1", names.next(existing));
        assertEquals(existing + "_2", names.next(existing));
        assertEquals("fresh", names.next("fresh"));
        assertEquals("fresh_1", names.next("fresh"));
        assertEquals("input_1", names.next("input"));
    }

    @Test
    void addedOutputsAreReturnedByOnnxRuntime() throws Exception {
        Graph graph = OnnxCodec.read(TestFiles.model("cnn_relu"));
        List<String> intermediates = new ArrayList<>();
        for (Node node : graph.nodes()) {
            if (node.opType().equals("Relu")) {
                intermediates.add(node.output(0));
            }
        }
        intermediates.add("logits");
        List<String> added = Graphs.addOutputs(graph, intermediates);
        assertEquals(intermediates.subList(0, intermediates.size() - 1), added, "logits is already an output");
        assertEquals(DataType.FLOAT, graph.outputs().get(graph.outputs().size() - 1).type());

        float[][] images = TestFiles.testImages(0, 4);
        try (Ort ort = new Ort(OnnxCodec.write(graph))) {
            Map<String, float[][]> values = ort.run(images, intermediates);
            for (String name : added) {
                for (float v : values.get(name)[0]) {
                    assertTrue(v >= 0f, name + " is a Relu output");
                }
            }
            assertEquals(10, values.get("logits")[0].length);
        }
    }

    @Test
    void opsetUpgradeMovesAxesAttributesToInputs() throws Exception {
        // opset 11 model: Unsqueeze(axes=[0]) -> ReduceSum(axes=[1], keepdims=0) -> ReduceMean(axes=[0]) -> Softmax(axis=1)
        Graph graph = new Graph();
        graph.setIrVersion(6);
        graph.opsets().put("", 11L);
        graph.inputs().add(new ValueInfo("x", DataType.FLOAT, List.of(ValueInfo.Dim.of(2), ValueInfo.Dim.of(3))));
        graph.nodes().add(new Node("unsqueeze", "Unsqueeze", "", List.of("x"), List.of("u"),
                Map.of("axes", Attribute.ofInts(new long[] {0}))));
        graph.nodes().add(new Node("sum", "ReduceSum", "", List.of("u"), List.of("s"),
                Map.of("axes", Attribute.ofInts(new long[] {1}), "keepdims", Attribute.ofInt(0))));
        graph.nodes().add(new Node("mean", "ReduceMean", "", List.of("s"), List.of("m"),
                Map.of("axes", Attribute.ofInts(new long[] {0}))));
        graph.valueInfos().add(new ValueInfo("m", DataType.FLOAT, List.of(ValueInfo.Dim.of(1), ValueInfo.Dim.of(3))));
        graph.nodes().add(new Node("softmax", "Softmax", "", List.of("m"), List.of("y"), Map.of("axis", Attribute.ofInt(1))));
        graph.outputs().add(new ValueInfo("y", DataType.FLOAT, null));
        float[] before = run(OnnxCodec.write(graph));

        Graph upgraded = graph.copy();
        assertTrue(Graphs.ensureOpset(upgraded, 21));
        assertEquals(21, upgraded.opset());
        assertEquals(10, upgraded.irVersion());
        assertEquals(2, upgraded.node("sum").orElseThrow().inputs().size());
        assertEquals(null, upgraded.node("mean").orElseThrow().attribute("axes"));
        assertArrayEquals(before, run(OnnxCodec.write(upgraded)), 1e-6f);

        Graph to13 = graph.copy();
        Graphs.ensureOpset(to13, 13);
        assertEquals(13, to13.opset());
        assertTrue(to13.node("mean").orElseThrow().attribute("axes") != null, "ReduceMean keeps its attribute until 18");
        assertArrayEquals(before, run(OnnxCodec.write(to13)), 1e-6f);
        assertFalse(Graphs.ensureOpset(to13, 13), "already at 13");
    }

    private static float[] run(byte[] model) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions());
             OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[] {1, 2, 3, 4, 5, 6}), new long[] {2, 3});
             OrtSession.Result result = session.run(Map.of("x", x))) {
            return ((OnnxTensor) result.get(0)).getFloatBuffer().array();
        }
    }
}
