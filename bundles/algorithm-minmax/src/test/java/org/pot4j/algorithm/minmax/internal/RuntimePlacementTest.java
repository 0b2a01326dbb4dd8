package org.pot4j.algorithm.minmax.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;

/**
 * The CPU placement against ONNX Runtime itself: small graphs on the 28×28 calibration images, MinMax with the real
 * statistics collector and the CPU device's config, the QDQ model written and optimized by ORT (EXTENDED), whose
 * graph is then read back: what the plan expects to become an integer kernel does, and no QuantizeLinear →
 * DequantizeLinear pair is left over (a pair whose producer and consumer both run in float: pure cost).
 */
class RuntimePlacementTest {
    private static IdxDataset calibration;
    private final Random random = new Random(3);

    @BeforeAll
    static void data() throws Exception {
        calibration = IdxDataset.calibration();
    }

    private static Graph graph(String name) {
        Graph g = new Graph();
        g.setName(name);
        g.opsets().put("", 13L);
        g.inputs().add(new ValueInfo("input", DataType.FLOAT, List.of(ValueInfo.Dim.symbolic("N"), ValueInfo.Dim.of(1),
                ValueInfo.Dim.of(28), ValueInfo.Dim.of(28))));
        return g;
    }

    private void conv(Graph g, String name, String input, int in, int out, String output) {
        g.initializers().put(name + ".W", Fixture.weights(random, out, in, 3, 3));
        g.initializers().put(name + ".B", Fixture.weights(random, out));
        g.nodes().add(new Node(name, "Conv", "", List.of(input, name + ".W", name + ".B"), List.of(output),
                Map.of("pads", Attribute.ofInts(new long[] {1, 1, 1, 1}))));
    }

    /** GlobalAveragePool → Flatten → Gemm to 10 logits, the model output. */
    private void head(Graph g, String input, int channels) {
        g.nodes().add(new Node("gap", "GlobalAveragePool", List.of(input), List.of("pooled")));
        g.nodes().add(new Node("flatten", "Flatten", List.of("pooled"), List.of("flat")));
        g.initializers().put("fc.W", Fixture.weights(random, 10, channels));
        g.initializers().put("fc.B", Fixture.weights(random, 10));
        g.nodes().add(new Node("fc", "Gemm", "", List.of("flat", "fc.W", "fc.B"), List.of("logits"),
                Map.of("transB", Attribute.ofInt(1))));
        g.outputs().add(new ValueInfo("logits", DataType.FLOAT, null));
    }

    private static RealContext quantize(Graph graph) throws Exception {
        RealContext context = new RealContext(graph, new CpuDevice("false").hardwareConfig(), calibration, null)
                .register("MinMaxQuantization", new MinMaxQuantization());
        context.run("MinMaxQuantization", RealContext.params(Map.of("preset", "mixed", "float_stem", false,
                "stat_subset_size", 64)));
        return context;
    }

    /** ORT's optimized graph of the quantized model: op type → count; checks that no Q → DQ pair is left. */
    private static Map<String, Long> optimized(RealContext context, Path dir) {
        Path file = dir.resolve(context.model().name() + "-optimized.onnx");
        try (InferenceSession session = context.openSession(context.model(), context.plan(), SessionOptions.defaults()
                .withThreads(1).withOptimization(SessionOptions.OptimizationLevel.EXTENDED, file))) {
            session.inputNames();
        }
        Graph graph = OnnxCodec.read(file);
        Map<String, Long> ops = graph.nodes().stream().collect(Collectors.groupingBy(Node::opType, TreeMap::new,
                Collectors.counting()));
        for (Node node : graph.nodes()) {
            if (node.opType().equals("QuantizeLinear")) {
                for (Node reader : graph.consumers(node.outputs().get(0))) {
                    assertFalse(reader.opType().equals("DequantizeLinear"), "a QuantizeLinear → DequantizeLinear pair"
                            + " around float ops is left after " + node.input(0) + ": " + ops);
                }
            }
        }
        return ops;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Long> expectedKernels(RealContext context) {
        return (Map<String, Long>) ((Map<String, Object>) context.reports().get("min_max_quantization"))
                .get("expected_kernels");
    }

    private static long integerKernels(Map<String, Long> ops) {
        return ops.entrySet().stream().filter(e -> e.getKey().startsWith("QLinear") || e.getKey().equals("QGemm")
                || e.getKey().endsWith("Integer") || e.getKey().equals("MatMulIntegerToFloat"))
                .mapToLong(Map.Entry::getValue).sum();
    }

    /** conv1 → relu1 → ... → conv{n} → relu{n} (tensors c{i}, r{i}; 8 channels) → head. */
    private Graph convReluChain(String name, int layers) {
        Graph g = graph(name);
        String input = "input";
        for (int i = 1; i <= layers; i++) {
            conv(g, "conv" + i, input, i == 1 ? 1 : 8, 8, "c" + i);
            g.nodes().add(new Node("relu" + i, "Relu", List.of("c" + i), List.of("r" + i)));
            input = "r" + i;
        }
        head(g, input, 8);
        return g;
    }

    private static RealContext quantizeIgnoring(Graph graph, String node) throws Exception {
        RealContext context = new RealContext(graph, new CpuDevice("false").hardwareConfig(), calibration, null)
                .register("MinMaxQuantization", new MinMaxQuantization());
        context.run("MinMaxQuantization", RealContext.params(Map.of("preset", "mixed", "float_stem", false,
                "stat_subset_size", 64, "ignored", Map.of("scope", List.of(node)))));
        return context;
    }

    /**
     * An ignored layer (an ignored scope, or AccuracyAware's revert) does not take the chain before it along: the
     * layers before the ignored head keep their integer kernels, the last one with a quantizer on its output that the
     * float head dequantizes. (Before, the float reader made conv2 float, then gap's reader, then conv1.)
     */
    @Test
    void anIgnoredLayerLeavesTheIntegerChainBeforeItIntact(@TempDir Path dir) throws Exception {
        RealContext context = quantizeIgnoring(convReluChain("ignored_head", 2), "fc");
        QuantizationPlan plan = context.plan();
        assertTrue(plan.quantizedNodes().containsAll(List.of("conv1", "conv2")), plan.ignoredNodes().toString());
        assertTrue(!plan.quantizedNodes().contains("fc"));
        Map<String, Long> ops = optimized(context, dir);
        assertEquals(2L, ops.getOrDefault("QLinearConv", 0L), ops.toString());
    }

    /**
     * An ignored layer reads float values: the layer feeding it gets no quantizer on the tensor it reads (that would
     * round it to 8 bits all the same) and goes float, and the layer before that keeps its integer kernel with an
     * output quantizer. (Before, conv2 kept QLinearConv and conv3 read its 8-bit output.)
     */
    @Test
    void anIgnoredLayerReadsFloatValues(@TempDir Path dir) throws Exception {
        RealContext context = quantizeIgnoring(convReluChain("ignored_middle", 3), "conv3");
        QuantizationPlan plan = context.plan();
        assertTrue(plan.quantizers().keySet().stream().noneMatch(p -> p.tensor().equals("r2") || p.tensor().equals("c2")),
                plan.quantizers().keySet().toString());
        assertTrue(plan.ignoredNodes().get("conv2").contains("read by the ignored Conv conv3"),
                plan.ignoredNodes().toString());
        assertTrue(plan.quantizedNodes().contains("conv1"), plan.ignoredNodes().toString());
        Map<String, Long> ops = optimized(context, dir);
        assertEquals(1L, ops.getOrDefault("QLinearConv", 0L), ops.toString());
    }

    /**
     * conv1 → Relu → conv2 → HardSigmoid → conv3 → head: conv2 ends an integer chain, but its reader is float by op
     * type, not because of an ignored node, so conv2 goes float rather than keep an 8-bit output in front of the
     * HardSigmoid, and conv1 with it (mobilenet_v3_small's Hardswish blocks lost cosine 0.9975 -> 0.9285 that way).
     */
    @Test
    void aChainEndingInAnOpWithoutKernelGoesFloatWithoutAnOutputQuantizer(@TempDir Path dir) throws Exception {
        Graph g = graph("chain_hardsigmoid");
        conv(g, "conv1", "input", 1, 8, "c1");
        g.nodes().add(new Node("relu1", "Relu", List.of("c1"), List.of("r1")));
        conv(g, "conv2", "r1", 8, 8, "c2");
        g.nodes().add(new Node("hsig", "HardSigmoid", List.of("c2"), List.of("h")));
        conv(g, "conv3", "h", 8, 8, "c3");
        g.nodes().add(new Node("relu3", "Relu", List.of("c3"), List.of("r3")));
        head(g, "r3", 8);
        RealContext context = quantize(g);
        QuantizationPlan plan = context.plan();
        assertTrue(plan.pointsOf("conv2").isEmpty() && plan.pointsOf("conv1").isEmpty(),
                plan.quantizers().keySet().toString());
        assertTrue(plan.ignoredNodes().get("conv2").contains("read in float by HardSigmoid hsig"),
                plan.ignoredNodes().toString());
        assertEquals(List.of("conv3", "gap", "fc"), List.copyOf(plan.quantizedNodes()));
        Map<String, Long> ops = optimized(context, dir);
        assertEquals(1L, ops.getOrDefault("QLinearConv", 0L), ops.toString());
    }

    /** conv1 → HardSigmoid (no integer kernel) → conv2 → head: conv1 gets no Q/DQ, the rest runs in integers. */
    @Test
    void aConvReadInFloatStaysFloatAndNoPairIsLeft(@TempDir Path dir) throws Exception {
        Graph g = graph("hardsigmoid");
        conv(g, "conv1", "input", 1, 8, "c1");
        g.nodes().add(new Node("hsig", "HardSigmoid", List.of("c1"), List.of("h")));
        conv(g, "conv2", "h", 8, 8, "c2");
        g.nodes().add(new Node("relu2", "Relu", List.of("c2"), List.of("r2")));
        head(g, "r2", 8);
        RealContext context = quantize(g);
        QuantizationPlan plan = context.plan();
        assertTrue(plan.pointsOf("conv1").isEmpty(), plan.quantizers().keySet().toString());
        assertTrue(plan.ignoredNodes().get("conv1").contains("read in float by HardSigmoid hsig"),
                plan.ignoredNodes().toString());
        assertEquals(List.of("conv2", "gap", "fc"), List.copyOf(plan.quantizedNodes()));
        assertEquals(Map.of("QGemm", 1L, "QLinearConv", 1L, "QLinearGlobalAveragePool", 1L), expectedKernels(context));
        Map<String, Long> ops = optimized(context, dir);
        assertEquals(1L, ops.getOrDefault("QLinearConv", 0L), ops.toString());
        assertEquals(1L, ops.getOrDefault("QLinearGlobalAveragePool", 0L), ops.toString());
        assertEquals(3L, integerKernels(ops), ops.toString());
    }

    /**
     * A SiLU (x · Sigmoid(x)) and a residual Add between quantized layers: QLinearSigmoid, QLinearMul and QLinearAdd
     * inside one integer chain, as the device config says and ORT does.
     */
    @Test
    void siluAndResidualAddInsideAnIntegerChainBecomeIntegerKernels(@TempDir Path dir) throws Exception {
        Graph g = graph("silu");
        conv(g, "conv1", "input", 1, 8, "c1");
        g.nodes().add(new Node("sigmoid", "Sigmoid", List.of("c1"), List.of("s")));
        g.nodes().add(new Node("silu", "Mul", List.of("c1", "s"), List.of("m")));
        conv(g, "conv2", "m", 8, 8, "c2");
        g.nodes().add(new Node("residual", "Add", List.of("c2", "m"), List.of("a")));
        g.nodes().add(new Node("relu", "Relu", List.of("a"), List.of("r")));
        head(g, "r", 8);
        RealContext context = quantize(g);
        assertEquals(List.of("conv1", "sigmoid", "silu", "conv2", "residual", "gap", "fc"),
                List.copyOf(context.plan().quantizedNodes()), context.plan().ignoredNodes().toString());
        Map<String, Long> ops = optimized(context, dir);
        assertEquals(2L, ops.getOrDefault("QLinearConv", 0L), ops.toString());
        assertEquals(1L, ops.getOrDefault("QLinearSigmoid", 0L), ops.toString());
        assertEquals(1L, ops.getOrDefault("QLinearMul", 0L), ops.toString());
        assertEquals(1L, ops.getOrDefault("QLinearAdd", 0L), ops.toString());
        assertEquals(expectedKernels(context).values().stream().mapToLong(Long::longValue).sum(), integerKernels(ops),
                ops + " vs expected " + expectedKernels(context));
    }

    /** A scale-and-shift (Mul and Add by constants, as a folded normalization) is no quantization point. */
    @Test
    void aScaleShiftIsNotAQuantizationPoint(@TempDir Path dir) throws Exception {
        Graph g = graph("scaleshift");
        conv(g, "conv1", "input", 1, 8, "c1");
        g.initializers().put("gamma", Fixture.weights(random, 1, 8, 1, 1));
        g.initializers().put("beta", Fixture.weights(random, 1, 8, 1, 1));
        g.nodes().add(new Node("scale", "Mul", List.of("c1", "gamma"), List.of("scaled")));
        g.nodes().add(new Node("shift", "Add", List.of("scaled", "beta"), List.of("shifted")));
        g.nodes().add(new Node("relu", "Relu", List.of("shifted"), List.of("r")));
        conv(g, "conv2", "r", 8, 8, "c2");
        g.nodes().add(new Node("relu2", "Relu", List.of("c2"), List.of("r2")));
        head(g, "r2", 8);
        RealContext context = quantize(g);
        QuantizationPlan plan = context.plan();
        for (String node : List.of("scale", "shift", "conv1")) {
            assertTrue(plan.pointsOf(node).isEmpty(), node + ": " + plan.quantizers().keySet());
        }
        assertTrue(plan.ignoredNodes().get("scale").contains("constant operand gamma"), plan.ignoredNodes().toString());
        assertTrue(plan.ignoredNodes().get("shift").contains("constant operand beta"), plan.ignoredNodes().toString());
        assertTrue(plan.ignoredNodes().get("conv1").contains("read in float by Mul scale"), plan.ignoredNodes().toString());
        assertEquals(List.of("conv2", "gap", "fc"), List.copyOf(plan.quantizedNodes()));
        assertEquals(3L, integerKernels(optimized(context, dir)));
    }

    /**
     * A power spectrum (the 16th power of a Conv's output: 0 to huge, most values near 0) read by a MatMul (a mel
     * filter bank) before a Log: 8 bits would flatten most of it, so the MatMul stays float with that reason, and the
     * Muls that square it, left without a quantized reader, stay float as well.
     */
    @Test
    void aHugeRangeTensorBeforeLogStaysFloatWithItsReason(@TempDir Path dir) throws Exception {
        Graph g = graph("power");
        conv(g, "stft", "input", 1, 4, "c");
        g.nodes().add(new Node("square", "Mul", List.of("c", "c"), List.of("p2")));
        g.nodes().add(new Node("square2", "Mul", List.of("p2", "p2"), List.of("p4")));
        g.nodes().add(new Node("square3", "Mul", List.of("p4", "p4"), List.of("p8")));
        g.nodes().add(new Node("square4", "Mul", List.of("p8", "p8"), List.of("p16")));
        List<Float> mel = new ArrayList<>();
        for (int i = 0; i < 28 * 6; i++) {
            mel.add(random.nextFloat());
        }
        float[] melWeights = new float[mel.size()];
        for (int i = 0; i < melWeights.length; i++) {
            melWeights[i] = mel.get(i);
        }
        g.initializers().put("mel.W", Tensor.ofFloats(new long[] {28, 6}, melWeights));
        g.nodes().add(new Node("mel", "MatMul", List.of("p16", "mel.W"), List.of("melspec")));
        g.initializers().put("eps", Tensor.ofFloats(new long[0], new float[] {1e-6f}));
        g.nodes().add(new Node("eps_add", "Add", List.of("melspec", "eps"), List.of("floored")));
        g.nodes().add(new Node("log", "Log", List.of("floored"), List.of("logmel")));
        g.outputs().add(new ValueInfo("logmel", DataType.FLOAT, null));
        RealContext context = quantize(g);
        QuantizationPlan plan = context.plan();
        String why = plan.ignoredNodes().get("mel");
        assertTrue(why != null && why.startsWith("range: input p16 spans [0, "),
                plan.ignoredNodes() + " " + context.reports().get("quantization_points"));
        assertTrue(why.contains("more than half of its values would quantize to 0 or 1"), why);
        assertTrue(plan.quantizers().isEmpty(), plan.quantizers().keySet().toString());
        assertTrue(plan.ignoredNodes().containsKey("square4"), plan.ignoredNodes().toString());
        assertEquals(0L, integerKernels(optimized(context, dir)));
    }

    /**
     * A deliberately slow int8 region: single-channel 1×1 Convs on a 224×224 map (the 28×28 input tiled 8×8), where
     * the integer path adds a QuantizeLinear and a requantization per pixel to a multiply-add, before a Gemm head that
     * int8 runs faster. The latency check benchmarks FP32 and INT8, keeps the slow Convs float (with the figures as
     * the reason) and the Gemms quantized.
     */
    @Test
    void theLatencyCheckKeepsADeliberatelySlowRegionFloat() throws Exception {
        Graph g = graph("slow");
        g.initializers().put("repeats", Tensor.ofLongs(new long[] {4}, new long[] {1, 1, 8, 8}));
        g.nodes().add(new Node("tile", "Tile", List.of("input", "repeats"), List.of("big")));
        String tensor = "big";
        for (String name : List.of("slowA", "slowB", "slowC")) {
            g.initializers().put(name + ".W", Fixture.weights(random, 1, 1, 1, 1));
            g.nodes().add(new Node(name, "Conv", List.of(tensor, name + ".W"), List.of(name + ".out")));
            tensor = name + ".out";
        }
        g.nodes().add(new Node("pool", "MaxPool", "", List.of(tensor), List.of("pooled"),
                Map.of("kernel_shape", Attribute.ofInts(new long[] {8, 8}), "strides", Attribute.ofInts(new long[] {8, 8}))));
        g.nodes().add(new Node("flatten", "Flatten", List.of("pooled"), List.of("flat")));
        String input = "flat";
        int width = 784;
        for (String name : List.of("fc1", "fc2", "fc3")) {
            int out = name.equals("fc3") ? 10 : 1024;
            g.initializers().put(name + ".W", Fixture.weights(random, out, width));
            g.nodes().add(new Node(name, "Gemm", "", List.of(input, name + ".W"), List.of(name + ".out"),
                    Map.of("transB", Attribute.ofInt(1))));
            input = name + ".out";
            if (!name.equals("fc3")) {
                g.nodes().add(new Node(name + ".relu", "Relu", List.of(input), List.of(name + ".r")));
                input = name + ".r";
            }
            width = out;
        }
        g.outputs().add(new ValueInfo(input, DataType.FLOAT, null));
        RealContext context = new RealContext(g, new CpuDevice("false", true).hardwareConfig(), calibration, null)
                .register("MinMaxQuantization", new MinMaxQuantization());
        context.run("MinMaxQuantization", RealContext.params(Map.of("preset", "mixed", "float_stem", false,
                "stat_subset_size", 32)));
        @SuppressWarnings("unchecked")
        Map<String, Object> report = (Map<String, Object>) context.reports().get("latency_check");
        System.out.println("latency check: " + report);
        QuantizationPlan plan = context.plan();
        assertTrue((Double) report.get("before") > 1, "the slow region makes INT8 slower: " + report);
        assertTrue((Double) report.get("after") < (Double) report.get("before"), report.toString());
        assertTrue(plan.pointsOf("slowA").isEmpty(), report.toString());
        assertTrue(plan.ignoredNodes().get("slowA").startsWith("latency: INT8 ran at "), plan.ignoredNodes().toString());
        assertFalse(plan.pointsOf("fc2").isEmpty(), "the Gemm head stays int8: " + report);
        @SuppressWarnings("unchecked")
        Map<String, Object> kernels = (Map<String, Object>) context.reports().get("runtime_kernels");
        assertEquals(expectedKernels(context).values().stream().mapToLong(Long::longValue).sum(),
                ((Number) kernels.get("actual")).longValue(), kernels + " vs " + expectedKernels(context));
        assertEquals(3L, ((Number) kernels.get("actual")).longValue(), "the three QGemm: " + kernels);
    }
}
