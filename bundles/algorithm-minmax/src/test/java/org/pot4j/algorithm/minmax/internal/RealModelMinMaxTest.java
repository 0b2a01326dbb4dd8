package org.pot4j.algorithm.minmax.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/** MinMax on the shared models with the real statistics collector; expected ranges computed here from ORT outputs. */
class RealModelMinMaxTest {
    private static IdxDataset calibration;

    @BeforeAll
    static void data() throws Exception {
        calibration = IdxDataset.calibration();
    }

    private static RealContext run(String model, Map<String, ?> params) throws Exception {
        RealContext context = new RealContext(OnnxCodec.read(TestFiles.model(model)), new CpuDevice("true").hardwareConfig(),
                calibration, null).register("MinMaxQuantization", new MinMaxQuantization());
        context.run("MinMaxQuantization", RealContext.params(params));
        return context;
    }

    /** Per-sample values of {@code tensor} for the first {@code n} calibration samples, straight from ORT. */
    private static float[][] perSample(RealContext context, String tensor, int n) {
        float[][] values = new float[n][];
        try (InferenceSession session = context.openSession(context.model(), null,
                SessionOptions.defaults().withThreads(1).withExtraOutputs(Set.of(tensor)))) {
            for (int i = 0; i < n; i++) {
                Tensor out = session.run(Map.of("input", calibration.batch(i, 1)), List.of(tensor)).get(tensor);
                values[i] = out.toFloats();
            }
        }
        return values;
    }

    private static double quantile(float[] v, double q) {
        float[] s = v.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
    }

    @Test
    void cnnReluQuantizesConvAndGemmOnlyWithRangesFromTheCollector() throws Exception {
        RealContext context = run("cnn_relu", Map.of("stat_subset_size", 100, "float_stem", false,
                "activations", Map.of("range_estimator", Map.of("preset", "quantile"))));
        Graph model = context.model();
        QuantizationPlan plan = context.plan();
        List<Node> layers = model.nodes().stream().filter(n -> n.opType().equals("Conv") || n.opType().equals("Gemm")).toList();
        assertEquals(layers.stream().map(Node::name).collect(java.util.stream.Collectors.toSet()), plan.quantizedNodes());
        for (Node layer : layers) {
            Quantizer w = plan.quantizer(new QuantizationPoint(layer.name(), 1, layer.input(1), QuantizationPoint.Kind.WEIGHT))
                    .orElseThrow();
            long[] shape = model.initializers().get(layer.input(1)).shape();
            int axis = layer.opType().equals("Gemm") && layer.intAttribute("transB", 0) == 0 ? 1 : 0;
            assertEquals(axis, w.axis(), layer.name());
            assertEquals(shape[axis], w.channels(), layer.name());
        }
        // the second conv reads a ReLU/MaxPool output: unsigned, range = mean of per-sample 0.9999 abs-quantiles
        Node second = layers.get(1);
        Quantizer q = plan.quantizer(new QuantizationPoint(second.name(), 0, second.input(0),
                QuantizationPoint.Kind.ACTIVATION)).orElseThrow();
        float[][] samples = perSample(context, second.input(0), 100);
        double sum = 0;
        double min = Double.MAX_VALUE;
        for (float[] s : samples) {
            float[] abs = s.clone();
            for (int i = 0; i < abs.length; i++) abs[i] = Math.abs(abs[i]);
            sum += quantile(abs, 1 - 1e-4);
            for (float v : s) min = Math.min(min, v);
        }
        assertTrue(min >= 0, "a ReLU output");
        assertFalse(q.signed());
        assertEquals(0, q.levelLow());
        assertEquals(255, q.levelHigh());
        assertEquals(sum / samples.length, q.max()[0], 1e-4 * q.max()[0]);
        assertTrue(q.rangeSource().contains("over 100 samples"), q.rangeSource());
    }

    @Test
    void mobilenetQuantizesResidualAddsAndPoolingButNotClip() throws Exception {
        RealContext context = run("mobilenet_v2_tiny", Map.of("preset", "mixed", "stat_subset_size", 50,
                "float_stem", false));
        Graph model = context.model();
        QuantizationPlan plan = context.plan();
        for (Node node : model.nodes()) {
            boolean quantized = plan.quantizedNodes().contains(node.name());
            switch (node.opType()) {
                case "Conv", "Gemm", "GlobalAveragePool" -> assertTrue(quantized, node.toString());
                case "Add" -> {
                    assertTrue(quantized, node.toString());
                    assertEquals(2, plan.pointsOf(node.name()).size(), "both residual branches");
                }
                default -> assertFalse(quantized, node.toString());
            }
        }
        for (QuantizationPoint p : plan.points(QuantizationPoint.Kind.ACTIVATION)) {
            Quantizer a = plan.quantizers().get(p);
            assertFalse(a.symmetric());
            assertTrue(a.zeroPoints()[0] >= 0 && a.zeroPoints()[0] <= 255);
        }
        assertTrue(plan.points(QuantizationPoint.Kind.WEIGHT).stream().allMatch(p -> plan.quantizers().get(p).symmetric()));
    }

    /**
     * What ONNX Runtime (EXTENDED) makes of MinMax's performance plan, written by the QDQ writer: every Conv and Gemm
     * of the plan runs as an integer kernel. cnn_relu: the last Conv (→ Relu → MaxPool → Flatten → Gemm) fuses because
     * the writer repeats the Gemm's quantizer up through Flatten and MaxPool, the last Gemm because its logits get an
     * output point. mobilenet_v2_tiny: signed tensors read by a Conv and an Add fuse as uint8 + 128. On CPU the float
     * stem (cnn_relu's 1-channel first Conv; mobilenet's 1→16 Conv, 16-channel depthwise and 16→8 projection) stays
     * float, is reported as ignored with the reason, and the first QuantizeLinear sits after it.
     */
    @Test
    void onnxRuntimeRunsEveryQuantizedLayerWithIntegerKernels(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        for (String model : List.of("cnn_relu", "mobilenet_v2_tiny")) {
            for (boolean floatStem : new boolean[] {false, true}) {
                RealContext context = run(model, Map.of("preset", "performance", "float_stem", floatStem));
                long layers = context.model().nodes().stream().filter(n -> Set.of("Conv", "Gemm").contains(n.opType()))
                        .count();
                long stem = context.plan().ignoredNodes().values().stream().filter(why -> why.startsWith("float stem"))
                        .count();
                assertEquals(!floatStem ? 0 : model.equals("cnn_relu") ? 1 : 3, stem, context.plan().ignoredNodes()
                        .toString());
                java.nio.file.Path optimized = dir.resolve(model + floatStem + "-optimized.onnx");
                try (InferenceSession session = context.openSession(context.model(), context.plan(), SessionOptions
                        .defaults().withThreads(1).withOptimization(SessionOptions.OptimizationLevel.EXTENDED, optimized))) {
                    session.inputNames();
                }
                Map<String, Long> ops = OnnxCodec.read(optimized).nodes().stream().collect(java.util.stream.Collectors
                        .groupingBy(Node::opType, java.util.TreeMap::new, java.util.stream.Collectors.counting()));
                System.out.println(model + " performance, float_stem " + floatStem + ", ORT EXTENDED: " + ops);
                assertEquals(layers - stem, ops.getOrDefault("QLinearConv", 0L) + ops.getOrDefault("QGemm", 0L),
                        ops.toString());
                long floatConvs = ops.getOrDefault("Conv", 0L) + ops.getOrDefault("FusedConv", 0L);
                assertEquals(stem, floatConvs, "only the stem stays float: " + ops);
                assertFalse(ops.containsKey("Gemm"), ops.toString());
                assertEquals(1L, ops.getOrDefault("QuantizeLinear", 0L), "one float-to-int8 boundary: " + ops);
            }
        }
    }
}
