package org.pot4j.algorithm.minmax.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.device.cpu.internal.CpuDevice;

/**
 * A hand-built graph with every case MinMax distinguishes:
 * x → conv1(W1,B1) → relu1 → r1 ; r1 → conv2(W2) → c2 ; r1 → conv3(W3, group 1) → c3 ;
 * add(c2, c3) → a → flat → f → gemm(f, Wg transB=1, Bg) → g → matmul(g, Wm) → y ; mm2(g, g) → z.
 * y is a model output produced by a quantized layer: MinMax gives it an output point.
 * Activation statistics come from per-sample values generated here (x signed, r1 non-negative).
 */
final class Fixture {
    static final int SAMPLES = 40;

    static Graph graph() {
        Graph g = new Graph();
        g.setName("fixture");
        g.opsets().put("", 13L);
        g.inputs().add(new ValueInfo("x", DataType.FLOAT, List.of(ValueInfo.Dim.symbolic("N"), ValueInfo.Dim.of(2),
                ValueInfo.Dim.of(4), ValueInfo.Dim.of(4))));
        g.outputs().add(new ValueInfo("y", DataType.FLOAT, null));
        g.outputs().add(new ValueInfo("z", DataType.FLOAT, null));
        Random random = new Random(7);
        g.initializers().put("W1", weights(random, 3, 2, 3, 3));
        g.initializers().put("B1", weights(random, 3));
        g.initializers().put("W2", weights(random, 4, 3, 1, 1));
        g.initializers().put("W3", weights(random, 4, 3, 1, 1));
        g.initializers().put("Wg", weights(random, 5, 8));
        g.initializers().put("Bg", weights(random, 5));
        g.initializers().put("Wm", weights(random, 5, 6));
        g.nodes().add(new Node("conv1", "Conv", List.of("x", "W1", "B1"), List.of("c1")));
        g.nodes().add(new Node("relu1", "Relu", List.of("c1"), List.of("r1")));
        g.nodes().add(new Node("conv2", "Conv", List.of("r1", "W2"), List.of("c2")));
        g.nodes().add(new Node("conv3", "Conv", "", List.of("r1", "W3"), List.of("c3"),
                Map.of("group", Attribute.ofInt(1))));
        g.nodes().add(new Node("add", "Add", List.of("c2", "c3"), List.of("a")));
        g.nodes().add(new Node("flat", "Flatten", List.of("a"), List.of("f")));
        g.nodes().add(new Node("gemm", "Gemm", "", List.of("f", "Wg", "Bg"), List.of("g"),
                Map.of("transB", Attribute.ofInt(1))));
        g.nodes().add(new Node("matmul", "MatMul", List.of("g", "Wm"), List.of("y")));
        g.nodes().add(new Node("mm2", "MatMul", List.of("g", "g"), List.of("z")));
        return g;
    }

    static Tensor weights(Random random, long... shape) {
        float[] data = new float[(int) Tensor.elementCount(shape)];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian() * 0.3f;
        }
        return Tensor.ofFloats(shape, data);
    }

    static SampleStatistics statistics() {
        Map<String, float[]> bounds = new LinkedHashMap<>();
        bounds.put("x", new float[] {-1.5f, 2.5f});
        bounds.put("r1", new float[] {0f, 4f});
        bounds.put("c2", new float[] {-3f, 1f});
        bounds.put("c3", new float[] {-1f, 6f});
        bounds.put("f", new float[] {-2f, 5f});
        bounds.put("g", new float[] {-4f, 3f});
        bounds.put("y", new float[] {-6f, 7f});
        return new SampleStatistics(SampleStatistics.random(11, SAMPLES, 64, bounds));
    }

    static HardwareConfig cpu(boolean vnni) {
        return new CpuDevice(String.valueOf(vnni)).hardwareConfig();
    }

    /** The same device without what its runtime fuses: every configured op is quantized as configured. */
    static HardwareConfig withoutRuntime(HardwareConfig config) {
        return new HardwareConfig(config.device(), config.operations(), config.agnosticOperations(), config.properties());
    }

    /** Runs MinMax's two phases on the fixture with in-test statistics; returns the context. */
    static RealContext run(HardwareConfig hardware, Map<String, ?> params, SampleStatistics statistics) {
        RealContext context = new RealContext(graph(), hardware, null, null);
        MinMaxQuantization minMax = new MinMaxQuantization();
        context.setParameters(RealContext.params(withoutFloatStem(params)).validate(minMax.parameters()));
        minMax.statistics(context).forEach(statistics::get);
        minMax.apply(context, statistics);
        return context;
    }

    static QuantizationPlan plan(HardwareConfig hardware, Map<String, ?> params) {
        return run(hardware, params, statistics()).plan();
    }

    static Quantizer activation(QuantizationPlan plan, String node, int input) {
        return plan.quantizers().entrySet().stream()
                .filter(e -> e.getKey().nodeName().equals(node) && e.getKey().inputIndex() == input
                        && e.getKey().kind() == QuantizationPoint.Kind.ACTIVATION)
                .map(Map.Entry::getValue).findFirst().orElseThrow(() -> new AssertionError(node + "#" + input + " not quantized"));
    }

    static Quantizer weight(QuantizationPlan plan, String node) {
        return plan.quantizers().entrySet().stream()
                .filter(e -> e.getKey().nodeName().equals(node) && e.getKey().isWeight())
                .map(Map.Entry::getValue).findFirst().orElseThrow(() -> new AssertionError(node + " weight not quantized"));
    }

    /** No parameters but float_stem off: conv1 (2 input channels, 3 outputs) would otherwise stay float on CPU. */
    static Parameters none() {
        return RealContext.params(withoutFloatStem(Map.of()));
    }

    /** The fixture's plans test quantization of every layer; FloatStem has its own tests (model module, here). */
    static Map<String, ?> withoutFloatStem(Map<String, ?> params) {
        if (params.containsKey("float_stem")) {
            return params;
        }
        Map<String, Object> copy = new LinkedHashMap<>(params);
        copy.put("float_stem", false);
        return copy;
    }

    private Fixture() {
    }
}
