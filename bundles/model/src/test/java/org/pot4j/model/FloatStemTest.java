package org.pot4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.tensor.DataType;
import org.pot4j.testsupport.TestFiles;

/** Which leading Conv layers stay float for ONNX Runtime's CPU kernels, and what the QDQ writer makes of it. */
class FloatStemTest {
    private static final String MOBILENET_STEM_CONV = "/features/features.0/features.0.0/Conv";
    private static final String MOBILENET_DEPTHWISE = "/features/features.1/conv/conv.0/conv.0.0/Conv";
    private static final String MOBILENET_PROJECTION = "/features/features.1/conv/conv.1/Conv";
    private static final String MOBILENET_FIRST_INTEGER = "/features/features.2/conv/conv.0/conv.0.0/Conv";

    @BeforeAll
    static void loadImages() throws Exception {
        QdqWriterTest.loadImages();
    }

    @Test
    void mobilenetStemIsTheFirstConvItsDepthwiseAndTheEightChannelProjection() throws Exception {
        Map<String, String> stem = FloatStem.find(OnnxCodec.read(TestFiles.model("mobilenet_v2_tiny")));
        assertEquals(List.of(MOBILENET_STEM_CONV, MOBILENET_DEPTHWISE, MOBILENET_PROJECTION), List.copyOf(stem.keySet()),
                stem.toString());
        assertTrue(stem.get(MOBILENET_STEM_CONV).startsWith("1 input channels"), stem.toString());
        assertTrue(stem.get(MOBILENET_DEPTHWISE).startsWith("depthwise with 16 channels"), stem.toString());
        assertTrue(stem.get(MOBILENET_PROJECTION).startsWith("8 output channels"), stem.toString());
    }

    @Test
    void cnnReluStemIsItsOneChannelFirstConv() throws Exception {
        Map<String, String> stem = FloatStem.find(OnnxCodec.read(TestFiles.model("cnn_relu")));
        assertEquals(List.of("/features/features.0/Conv"), List.copyOf(stem.keySet()), stem.toString());
    }

    @Test
    void aBranchEndsTheStem() throws Exception {
        Graph model = OnnxCodec.read(TestFiles.model("mobilenet_v2_tiny"));
        // a second reader of the first Conv's activation: the chain cannot continue past it
        Node stemConv = model.node(MOBILENET_STEM_CONV).orElseThrow();
        String activation = new GraphIndex(model).consumers(stemConv.outputs().get(0)).get(0).outputs().get(0);
        model.nodes().add(new Node("extra_reader", "Identity", "", List.of(activation), List.of("extra"), Map.of()));
        assertEquals(List.of(MOBILENET_STEM_CONV), List.copyOf(FloatStem.find(model).keySet()));
    }

    /**
     * The written structure with the stem reverted: the model input and the stem's weights stay float, the first
     * QuantizeLinear quantizes the 8-channel projection output, and ONNX Runtime (EXTENDED) runs the other 49 Convs
     * as QLinearConv and the stem as float Conv.
     */
    @Test
    void revertedStemIsWrittenFloatAndTheRestStaysInteger(@TempDir Path folder) throws Exception {
        Graph model = OnnxCodec.read(TestFiles.model("mobilenet_v2_tiny"));
        QuantizationPlan plan = QdqWriterTest.handMadePlan(model, 8);
        int quantizedBefore = plan.quantizedNodes().size();

        List<String> reverted = leaveStemFloat(model, plan);

        assertEquals(List.of(MOBILENET_STEM_CONV, MOBILENET_DEPTHWISE, MOBILENET_PROJECTION), reverted);
        assertEquals(quantizedBefore - 3, plan.quantizedNodes().size());
        assertTrue(plan.ignoredNodes().get(MOBILENET_DEPTHWISE).startsWith("float stem: depthwise"), plan.ignoredNodes().toString());
        Graph written = QdqWriter.apply(model, plan);
        for (String name : reverted) {
            Node conv = written.node(name).orElseThrow();
            assertEquals(DataType.FLOAT, written.initializers().get(conv.input(1)).type(), name + " weight");
            assertFalse(written.producer(conv.input(0)).map(p -> p.opType().equals("DequantizeLinear")).orElse(false),
                    name + " reads a float tensor");
        }
        assertTrue(written.consumers("input").stream().noneMatch(n -> n.opType().equals("QuantizeLinear")),
                "the model input is not quantized");
        Node firstQuantize = written.nodes().stream().filter(n -> n.opType().equals("QuantizeLinear")).findFirst().orElseThrow();
        Node projection = written.node(MOBILENET_PROJECTION).orElseThrow();
        assertEquals(projection.outputs().get(0), firstQuantize.input(0), "the first quantizer is on the 8-channel output");
        assertTrue(written.producer(written.node(MOBILENET_FIRST_INTEGER).orElseThrow().input(0))
                .map(p -> p.opType().equals("DequantizeLinear")).orElse(false));

        Map<String, Integer> ops = optimizedOps(written, folder.resolve("stem.onnx"));
        Map<String, Integer> allInteger = optimizedOps(QdqWriter.apply(model, QdqWriterTest.handMadePlan(model, 8)),
                folder.resolve("all.onnx"));
        System.out.println("mobilenet_v2_tiny, ORT EXTENDED: float stem " + ops + "; every layer quantized " + allInteger);
        assertEquals(allInteger.getOrDefault("QLinearConv", 0) - 3, ops.getOrDefault("QLinearConv", 0), ops.toString());
        assertEquals(floatConvs(allInteger) + 3, floatConvs(ops), ops.toString());

        // deterministic: the same model and plan give the same bytes
        QuantizationPlan again = QdqWriterTest.handMadePlan(model, 8);
        leaveStemFloat(model, again);
        assertArrayEquals(OnnxCodec.write(written), OnnxCodec.write(QdqWriter.apply(model, again)));
    }

    /** What MinMax does on CPU: the stem's nodes out of the plan, with the reason. */
    private static List<String> leaveStemFloat(Graph model, QuantizationPlan plan) {
        List<String> reverted = new java.util.ArrayList<>();
        FloatStem.find(model).forEach((node, why) -> {
            if (plan.quantizedNodes().contains(node)) {
                plan.revert(node, "float stem: " + why);
                reverted.add(node);
            }
        });
        return reverted;
    }

    private static Map<String, Integer> optimizedOps(Graph written, Path optimized) throws Exception {
        try (Ort ort = new Ort(OnnxCodec.write(written), OrtSession.SessionOptions.OptLevel.EXTENDED_OPT, optimized.toString())) {
            ort.logits(new float[][] {new float[784]});
        }
        return RoundTripTest.histogram(OnnxCodec.read(optimized));
    }

    private static int floatConvs(Map<String, Integer> ops) {
        return ops.getOrDefault("Conv", 0) + ops.getOrDefault("FusedConv", 0);
    }
}
