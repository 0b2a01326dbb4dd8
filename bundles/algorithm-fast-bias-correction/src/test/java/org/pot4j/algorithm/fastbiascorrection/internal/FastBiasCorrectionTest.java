package org.pot4j.algorithm.fastbiascorrection.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.device.cpu.internal.CpuDevice;

class FastBiasCorrectionTest {

    /** conv (2 groups: 4 in, 2 out, 1x2 kernel) with bias; gemm (transB=1) without bias. */
    private static Graph graph() {
        Graph g = new Graph();
        g.opsets().put("", 13L);
        g.inputs().add(new ValueInfo("x", DataType.FLOAT, null));
        g.outputs().add(new ValueInfo("y", DataType.FLOAT, null));
        g.initializers().put("W", Tensor.ofFloats(new long[] {2, 2, 1, 2},
                new float[] {0.31f, -0.52f, 0.77f, 0.13f, -0.26f, 0.41f, 0.05f, -0.93f}));
        g.initializers().put("B", Tensor.ofFloats(new long[] {2}, new float[] {0.5f, -0.25f}));
        g.initializers().put("G", Tensor.ofFloats(new long[] {3, 2}, new float[] {0.2f, -0.7f, 0.33f, 0.9f, -0.1f, 0.45f}));
        g.nodes().add(new Node("conv", "Conv", "", List.of("x", "W", "B"), List.of("c"), Map.of("group", Attribute.ofInt(2))));
        g.nodes().add(new Node("flat", "Flatten", List.of("c"), List.of("f")));
        g.nodes().add(new Node("gemm", "Gemm", "", List.of("f", "G"), List.of("y"), Map.of("transB", Attribute.ofInt(1))));
        return g;
    }

    private static QuantizationPlan plan() {
        QuantizationPlan plan = new QuantizationPlan();
        // a coarse 4-bit grid so the weight error is large and easy to see
        plan.quantizers().put(new QuantizationPoint("conv", 1, "W", QuantizationPoint.Kind.WEIGHT),
                new Quantizer(4, true, 0, -7, 7, new float[] {-0.52f, -0.93f}, new float[] {0.52f, 0.93f}, "t"));
        plan.quantizers().put(new QuantizationPoint("gemm", 1, "G", QuantizationPoint.Kind.WEIGHT),
                new Quantizer(4, true, -1, -7, 7, new float[] {-0.9f}, new float[] {0.9f}, "t"));
        return plan;
    }

    private static Statistics means(float[] conv, float[] gemm) {
        Map<StatisticRequest, float[]> values = Map.of(
                new StatisticRequest("x", Reducer.MEAN, Aggregator.MEAN, 1, 0, 0), conv,
                new StatisticRequest("f", Reducer.MEAN, Aggregator.MEAN, 1, 0, 0), gemm);
        return new Statistics() {
            public float[] get(StatisticRequest r) { return values.get(r).clone(); }
            public boolean contains(StatisticRequest r) { return values.containsKey(r); }
            public Set<StatisticRequest> requests() { return values.keySet(); }
            public int samples() { return 10; }
        };
    }

    private static float dq(float w, float scale) {
        return (float) (Math.max(-7, Math.min(7, Math.rint(w / scale))) * scale);
    }

    private static RealContext run(Map<String, Object> params) {
        RealContext context = new RealContext(graph(), new CpuDevice("true").hardwareConfig(), null, null);
        context.setPlan(plan());
        FastBiasCorrection fbc = new FastBiasCorrection();
        context.setParameters(RealContext.params(params).validate(fbc.parameters()));
        fbc.apply(context, means(new float[] {1.0f, 2.0f, -0.5f, 3.0f}, new float[] {0.7f, 1.3f}));
        return context;
    }

    @Test
    void declaresTheInputMeanOfEveryConvAndGemm() {
        RealContext context = new RealContext(graph(), new CpuDevice("true").hardwareConfig(), null, null);
        assertEquals(List.of(new StatisticRequest("x", Reducer.MEAN, Aggregator.MEAN, 1, 0, 0),
                new StatisticRequest("f", Reducer.MEAN, Aggregator.MEAN, 1, 0, 0)),
                new FastBiasCorrection().statistics(context));
    }

    @Test
    void addsTheWeightQuantizationShiftToTheBiasPerChannel() {
        Graph original = graph();
        RealContext context = run(Map.of());
        float[] w = original.initializers().get("W").floats();
        float[] mean = {1.0f, 2.0f, -0.5f, 3.0f};
        float[] scale = {0.52f / 7, 0.93f / 7};
        float[] expected = {0.5f, -0.25f};
        for (int o = 0; o < 2; o++) {
            double shift = 0;
            for (int i = 0; i < 2; i++) {
                for (int k = 0; k < 2; k++) {
                    float v = w[(o * 2 + i) * 2 + k];
                    shift += (v - dq(v, scale[o])) * mean[o * 2 + i]; // group o reads input channels 2o, 2o+1
                }
            }
            expected[o] += (float) shift;
        }
        float[] corrected = context.model().initializers().get("B").floats();
        assertArrayEquals(expected, corrected, 1e-6f);
        assertTrue(Math.abs(corrected[0] - 0.5f) > 1e-4, "the 4-bit grid moves the mean");
        assertArrayEquals(new float[] {0.5f, -0.25f}, original.initializers().get("B").floats(), "input graph untouched");
        assertNotSame(context.model().initializers().get("B"), original.initializers().get("B"));
        assertEquals(List.of("x", "W", "B"), context.model().node("conv").orElseThrow().inputs());
        assertEquals(List.of("f", "G"), context.model().node("gemm").orElseThrow().inputs(), "no bias, not all nodes");
    }

    @Test
    void applyForAllNodesGivesABiaslessGemmItsCorrection() {
        RealContext context = run(Map.of("apply_for_all_nodes", true));
        Node gemm = context.model().node("gemm").orElseThrow();
        assertEquals(3, gemm.inputs().size());
        float[] bias = context.model().initializers().get(gemm.input(2)).floats();
        float[] g = graph().initializers().get("G").floats();
        float[] mean = {0.7f, 1.3f};
        for (int n = 0; n < 3; n++) {
            double shift = 0;
            for (int k = 0; k < 2; k++) {
                float v = g[n * 2 + k];
                shift += (v - dq(v, 0.9f / 7)) * mean[k];
            }
            assertEquals(shift, bias[n], 1e-6);
        }
    }

    @Test
    void applyForAllNodesKeepsTheThresholdForLayersWithABias() {
        RealContext context = run(Map.of("apply_for_all_nodes", true, "threshold", 1e-6));
        assertArrayEquals(graph().initializers().get("B").floats(), context.model().initializers().get("B").floats(),
                "the biased layer's shift is above the threshold: left alone");
        Node gemm = context.model().node("gemm").orElseThrow();
        assertEquals(3, gemm.inputs().size(), "the biasless layer still gets its correction");
    }

    @Test
    void thresholdSkipsLayersWhoseShiftIsLargeRelativeToTheBias() {
        RealContext context = run(Map.of("threshold", 1e-6));
        assertSame(graph().initializers().get("B").floats().length, 2);
        assertArrayEquals(new float[] {0.5f, -0.25f}, context.model().initializers().get("B").floats());
        assertTrue(context.reports().get("fast_bias_correction").toString().contains("not below threshold"));
    }
}
