package org.pot4j.algorithm.defaultquantization.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pot4j.algorithm.fastbiascorrection.internal.FastBiasCorrection;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.model.QdqWriter;
import org.pot4j.testsupport.TestFiles;

/** DefaultQuantization on the real cnn_relu model, real calibration data, ONNX Runtime and the statistics collector. */
class DefaultQuantizationTest {
    private static IdxDataset calibration;
    private static IdxDataset test;

    @BeforeAll
    static void data() throws Exception {
        calibration = IdxDataset.calibration();
        test = IdxDataset.test(Integer.getInteger("pot4j.test.samples", 1000));
    }

    static RealContext context(String model, boolean vnni) {
        return new RealContext(OnnxCodec.read(TestFiles.model(model)), new CpuDevice(String.valueOf(vnni)).hardwareConfig(),
                calibration, test)
                .register("MinMaxQuantization", new MinMaxQuantization())
                .register("FastBiasCorrection", new FastBiasCorrection())
                .register("DefaultQuantization", new DefaultQuantization());
    }

    @Test
    void quantizesEveryConvAndGemmOfCnnReluInOneStatisticsPass() throws Exception {
        RealContext context = context("cnn_relu", true);
        Graph fp32 = context.model();
        // float_stem false: the 1-channel first Conv too (on CPU it stays float by default, see below)
        context.run("DefaultQuantization", RealContext.params(Map.of("preset", "performance", "float_stem", false)));
        assertEquals(1, context.statisticsPasses(), "MinMax and FastBiasCorrection share one pass");
        List<String> layers = fp32.nodes().stream().filter(n -> Set.of("Conv", "Gemm").contains(n.opType()))
                .map(Node::name).toList();
        assertEquals(6, layers.size());
        assertEquals(Set.copyOf(layers), context.plan().quantizedNodes());
        for (String layer : layers) {
            // activation + weight, and the output of the layer that produces the model output (MinMax 47bddea)
            assertEquals(layer.endsWith("classifier.4/Gemm") ? 3 : 2, context.plan().pointsOf(layer).size(), layer);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fbc = (Map<String, Object>) context.reports().get("fast_bias_correction");
        assertFalse(((List<?>) fbc.get("applied")).isEmpty(), fbc.toString());
        assertTrue(context.reports().get("default_quantization").toString().contains("shared_statistics_pass=true"));

        // the first conv reads the model input: its range is the mean over the 300 samples of per-sample |x| max
        Node first = fp32.nodes().stream().filter(n -> n.opType().equals("Conv")).findFirst().orElseThrow();
        Quantizer input = context.plan().quantizer(new QuantizationPoint(first.name(), 0, first.input(0),
                QuantizationPoint.Kind.ACTIVATION)).orElseThrow();
        double sum = 0;
        for (int i = 0; i < calibration.size(); i++) {
            float m = 0;
            for (float v : calibration.get(i).input().floats()) m = Math.max(m, Math.abs(v));
            sum += m;
        }
        assertEquals(sum / calibration.size(), input.max()[0], 1e-4);
        assertTrue(input.signed(), "normalized pixels go below zero");
    }

    /**
     * The float stem's inputs feed no quantized layer: neither MinMax nor FastBiasCorrection reads them (their
     * channel means were the largest activations the pass read), and every layer FastBiasCorrection corrects still
     * gets its means from the one shared pass.
     */
    @Test
    void floatStemInputsAreNotReadAndTheBiasCorrectionStillSharesThePass() throws Exception {
        RealContext context = context("mobilenet_v2_tiny", true);
        Graph fp32 = context.model();
        DefaultQuantization defaultQuantization = new DefaultQuantization();
        context.setParameters(RealContext.params(Map.of("preset", "performance"))
                .validate(defaultQuantization.parameters()));
        Set<String> read = new java.util.HashSet<>();
        defaultQuantization.statistics(context).forEach(request -> read.add(request.tensor()));
        context.run("DefaultQuantization", RealContext.params(Map.of("preset", "performance")));
        assertEquals(1, context.statisticsPasses(), "MinMax and FastBiasCorrection share one pass");
        List<Node> stem = fp32.nodes().stream().filter(n -> n.opType().equals("Conv")
                && !context.plan().quantizedNodes().contains(n.name())).toList();
        assertEquals(3, stem.size(), "mobilenet_v2_tiny's float stem: " + stem);
        for (Node layer : stem) {
            assertFalse(read.contains(layer.input(0)), layer.name() + " is float: its input is not read");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fbc = (Map<String, Object>) context.reports().get("fast_bias_correction");
        assertEquals(50, ((List<?>) fbc.get("applied")).size() + ((List<?>) fbc.get("skipped")).size(),
                "the 50 quantized layers of 53");
        for (Object entry : (List<?>) fbc.get("applied")) {
            Node layer = fp32.node((String) ((Map<?, ?>) entry).get("node")).orElseThrow();
            assertTrue(read.contains(layer.input(0)), layer.name());
        }
    }

    @Test
    void cnnReluPerformanceKeepsAccuracy() throws Exception {
        RealContext context = context("cnn_relu", true);
        Graph fp32Model = context.model();
        context.run("DefaultQuantization", RealContext.params(Map.of("preset", "performance")));
        double fp32 = context.accuracy(fp32Model, null, test.size());
        double int8 = context.accuracy(context.model(), context.plan(), test.size());
        System.out.printf("cnn_relu performance CPU: FP32 top-1 %.4f, INT8 %.4f, drop %.2f points on %d t10k images%n",
                fp32, int8, 100 * (fp32 - int8), test.size());
        assertTrue(fp32 - int8 <= 0.005, "drop " + (fp32 - int8));
    }

    @Test
    void mobilenetMixedKeepsAccuracy() throws Exception {
        RealContext context = context("mobilenet_v2_tiny", true);
        Graph fp32Model = context.model();
        context.run("DefaultQuantization", RealContext.params(Map.of("preset", "mixed")));
        double fp32 = context.accuracy(fp32Model, null, test.size());
        double int8 = context.accuracy(context.model(), context.plan(), test.size());
        System.out.printf("mobilenet_v2_tiny mixed CPU: FP32 top-1 %.4f, INT8 %.4f, drop %.2f points on %d t10k images%n",
                fp32, int8, 100 * (fp32 - int8), test.size());
        assertTrue(fp32 - int8 <= 0.01, "drop " + (fp32 - int8));
    }

    @Test
    void sameConfigGivesByteIdenticalModels() throws Exception {
        RealContext a = context("cnn_relu", false);
        a.run("DefaultQuantization", RealContext.params(Map.of("preset", "mixed")));
        RealContext b = context("cnn_relu", false);
        b.run("DefaultQuantization", RealContext.params(Map.of("preset", "mixed")));
        assertArrayEquals(OnnxCodec.write(QdqWriter.apply(a.model(), a.plan())), OnnxCodec.write(QdqWriter.apply(b.model(), b.plan())));
    }

    @Test
    void missingSubAlgorithmsAreNamedErrors() {
        RealContext noFastBias = new RealContext(OnnxCodec.read(TestFiles.model("cnn_relu")),
                new CpuDevice("true").hardwareConfig(), calibration, test)
                .register("MinMaxQuantization", new MinMaxQuantization())
                .register("DefaultQuantization", new DefaultQuantization());
        Pot4jException e = assertThrows(Pot4jException.class,
                () -> noFastBias.run("DefaultQuantization", RealContext.params(Map.of())));
        assertTrue(e.getMessage().startsWith("FastBiasCorrection is not deployed"), e.getMessage());
        Pot4jException bias = assertThrows(Pot4jException.class, () -> context("cnn_relu", true)
                .run("DefaultQuantization", RealContext.params(Map.of("use_fast_bias", false))));
        assertTrue(bias.getMessage().startsWith("BiasCorrection is not deployed"), bias.getMessage());
        Pot4jException cle = assertThrows(Pot4jException.class, () -> context("cnn_relu", true)
                .run("DefaultQuantization", RealContext.params(Map.of("cross_layer_equalization", true))));
        assertTrue(cle.getMessage().startsWith("CrossLayerEqualization is not deployed"), cle.getMessage());
    }

    @Test
    void passesOnlyTheirOwnParametersToSubAlgorithms() throws Exception {
        RealContext context = context("cnn_relu", false);
        context.run("DefaultQuantization", RealContext.params(Map.of("preset", "performance", "threshold", 1e-9,
                "saturation_fix", "all", "ignored", Map.of("scope", List.of(firstConv(context.model()))))));
        assertFalse(context.plan().quantizedNodes().contains(firstConv(context.model())));
        assertTrue(context.plan().points(QuantizationPoint.Kind.WEIGHT).stream()
                .allMatch(p -> context.plan().quantizers().get(p).bits() == 7), "saturation_fix reached MinMax");
        @SuppressWarnings("unchecked")
        Map<String, Object> fbc = (Map<String, Object>) context.reports().get("fast_bias_correction");
        assertEquals(1e-9, fbc.get("threshold"));
        assertTrue(((List<?>) fbc.get("applied")).isEmpty(), "threshold reached FastBiasCorrection");
    }

    /**
     * What ONNX Runtime makes of the QDQ model (EXTENDED optimization). mobilenet_v2_tiny with the
     * mixed preset (u8 activations) runs every Conv after its float stem as QLinearConv and every residual Add as
     * QLinearAdd. Known gaps, outside the plan: in cnn_relu the last Conv stays float (ORT does not
     * move the Q after Flatten up through Flatten/MaxPool/Relu) and so does the final Gemm (float
     * logits output, float bias); with the performance preset, signed int8 tensors read by both a
     * Conv and an Add are left in float by ORT's s8→u8 rewrite (15 of mobilenet's 52 Convs).
     */
    @Test
    void onnxRuntimeFusesThePlanIntoIntegerKernels(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Map<String, Long> cnn = optimizedOps(dir, "cnn_relu", "performance");
        assertTrue(cnn.getOrDefault("QLinearConv", 0L) >= 3, cnn.toString());
        assertTrue(cnn.getOrDefault("QGemm", 0L) >= 1, cnn.toString());
        Map<String, Long> mobilenet = optimizedOps(dir, "mobilenet_v2_tiny", "mixed");
        // the float stem (1→16 Conv, 16-channel depthwise, 16→8 projection) stays float on CPU: ORT's int8 is slower there
        assertEquals(52L - 3, mobilenet.getOrDefault("QLinearConv", 0L), mobilenet.toString());
        assertEquals(3L, mobilenet.getOrDefault("Conv", 0L) + mobilenet.getOrDefault("FusedConv", 0L), mobilenet.toString());
        assertEquals(10L, mobilenet.getOrDefault("QLinearAdd", 0L), mobilenet.toString());
    }

    private static Map<String, Long> optimizedOps(java.nio.file.Path dir, String name, String preset) throws Exception {
        RealContext context = context(name, true);
        context.run("DefaultQuantization", RealContext.params(Map.of("preset", preset)));
        java.nio.file.Path optimized = dir.resolve(name + "-" + preset + "-optimized.onnx");
        try (var session = context.openSession(context.model(), context.plan(), org.pot4j.api.backend.SessionOptions
                .defaults().withThreads(1).withOptimization(
                        org.pot4j.api.backend.SessionOptions.OptimizationLevel.EXTENDED, optimized))) {
            session.inputNames();
        }
        Map<String, Long> ops = OnnxCodec.read(optimized).nodes().stream()
                .collect(java.util.stream.Collectors.groupingBy(Node::opType, java.util.TreeMap::new,
                        java.util.stream.Collectors.counting()));
        System.out.println(name + " " + preset + " after ORT EXTENDED optimization: " + ops);
        return ops;
    }

    private static String firstConv(Graph graph) {
        return graph.nodes().stream().filter(n -> n.opType().equals("Conv")).findFirst().orElseThrow().name();
    }
}
