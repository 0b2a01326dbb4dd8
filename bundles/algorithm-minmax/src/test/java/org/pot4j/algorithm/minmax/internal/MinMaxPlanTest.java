package org.pot4j.algorithm.minmax.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.OperationConfig;
import org.pot4j.api.device.QuantizationSpace;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.device.gna.internal.GnaDevice;
import org.pot4j.device.npu.internal.NpuDevice;

class MinMaxPlanTest {

    private static double expected(String tensor, Reducer reducer, Aggregator aggregator, double q, double outlier) {
        return Fixture.statistics().get(new StatisticRequest(tensor, reducer, aggregator, -1, q, outlier))[0];
    }

    /** Independent: per-sample |max| averaged with a plain loop. */
    private static double meanAbsMax(String tensor) {
        SampleStatistics stats = Fixture.statistics();
        double sum = 0;
        List<float[]> samples = samplesOf(tensor);
        for (float[] s : samples) {
            double m = 0;
            for (float v : s) m = Math.max(m, Math.abs(v));
            sum += m;
        }
        return sum / samples.size();
    }

    private static List<float[]> samplesOf(String tensor) {
        Map<String, float[]> bounds = Map.of();
        // regenerate exactly as the fixture does
        java.util.LinkedHashMap<String, float[]> b = new java.util.LinkedHashMap<>();
        b.put("x", new float[] {-1.5f, 2.5f});
        b.put("r1", new float[] {0f, 4f});
        b.put("c2", new float[] {-3f, 1f});
        b.put("c3", new float[] {-1f, 6f});
        b.put("f", new float[] {-2f, 5f});
        b.put("g", new float[] {-4f, 3f});
        b.put("y", new float[] {-6f, 7f});
        return SampleStatistics.random(11, Fixture.SAMPLES, 64, b).get(tensor);
    }

    @Test
    void performanceQuantizesDeviceOpsSymmetricallyWithSignFromMin() {
        QuantizationPlan plan = Fixture.plan(Fixture.cpu(true), Map.of("preset", "performance"));
        assertEquals(List.of("conv1", "conv2", "conv3", "add", "gemm", "matmul", "mm2"), List.copyOf(plan.quantizedNodes()));
        assertFalse(plan.quantizedNodes().contains("relu1"), "agnostic ops are not quantized");

        Quantizer x = Fixture.activation(plan, "conv1", 0);
        assertTrue(x.symmetric());
        assertEquals(8, x.bits());
        assertEquals(-127, x.levelLow(), "x has negative values: signed grid");
        assertEquals(127, x.levelHigh());
        assertEquals(meanAbsMax("x"), x.max()[0], 1e-5);
        assertEquals(-x.max()[0], x.min()[0]);
        assertEquals(0, x.zeroPoints()[0]);
        assertEquals(x.max()[0] / 127f, x.scales()[0], 1e-7);

        Quantizer r1 = Fixture.activation(plan, "conv2", 0);
        assertEquals(0, r1.levelLow(), "ReLU output is non-negative: unsigned grid");
        assertEquals(255, r1.levelHigh());
        assertEquals(0, r1.zeroPoints()[0]);
        assertEquals(meanAbsMax("r1"), r1.max()[0], 1e-5);
        assertEquals(0f, r1.min()[0]);

        Quantizer w1 = Fixture.weight(plan, "conv1");
        assertTrue(w1.symmetric());
        assertEquals(0, w1.axis(), "Conv weights per output channel");
        assertEquals(3, w1.channels());
        assertEquals(-127, w1.levelLow());
        assertEquals(127, w1.levelHigh());
        float[] w = ((Tensor) Fixture.graph().initializers().get("W1")).floats();
        for (int c = 0; c < 3; c++) {
            float absMax = 0;
            for (int i = c * 18; i < (c + 1) * 18; i++) absMax = Math.max(absMax, Math.abs(w[i]));
            assertEquals(absMax, w1.max()[c], 0f);
            assertEquals(-absMax, w1.min()[c], 0f);
        }
        assertEquals(0, Fixture.weight(plan, "gemm").axis(), "Gemm transB=1: B is [N, K], channels on axis 0");
        assertEquals(5, Fixture.weight(plan, "gemm").channels());
        assertEquals(1, Fixture.weight(plan, "matmul").axis(), "MatMul B is [K, N], channels on axis 1");
        assertEquals(6, Fixture.weight(plan, "matmul").channels());
        assertEquals(-1, Fixture.activation(plan, "add", 1).axis());
        assertTrue(plan.pointsOf("gemm").stream().noneMatch(p -> p.inputIndex() == 2), "biases stay float");
        // MatMul of two activations: both inputs are activation points
        assertEquals(List.of(0, 1), plan.pointsOf("mm2").stream().map(QuantizationPoint::inputIndex).toList());
        assertTrue(plan.pointsOf("mm2").stream().noneMatch(QuantizationPoint::isWeight));
        // matmul's result y is a model output: an output point (input index -1 = output #0), so ONNX Runtime can fuse
        // the layer; mm2 (no weight) and the layers whose results feed other quantized ops get none
        QuantizationPoint output = new QuantizationPoint("matmul", -1, "y", QuantizationPoint.Kind.ACTIVATION);
        Quantizer y = plan.quantizer(output).orElseThrow();
        assertEquals(-127, y.levelLow(), "y has negative values: signed grid");
        assertEquals(meanAbsMax("y"), y.max()[0], 1e-5);
        assertEquals(1, plan.quantizers().keySet().stream().filter(p -> p.inputIndex() < 0).count());
    }

    @Test
    void gemmWithoutTransBHasChannelsOnAxisOne() {
        org.pot4j.api.graph.Graph g = Fixture.graph();
        g.node("gemm").orElseThrow().attributes().remove("transB");
        g.initializers().put("Wg", Fixture.weights(new java.util.Random(1), 8, 5));
        RealContext context = new RealContext(g, Fixture.cpu(true), null, null);
        context.setParameters(Fixture.none().validate(new MinMaxQuantization().parameters()));
        new MinMaxQuantization().apply(context, Fixture.statistics());
        assertEquals(1, Fixture.weight(context.plan(), "gemm").axis());
        assertEquals(5, Fixture.weight(context.plan(), "gemm").channels());
    }

    @Test
    void mixedMakesActivationsAsymmetricFromMeanMinAndMeanMax() {
        QuantizationPlan plan = Fixture.plan(Fixture.cpu(true), Map.of("preset", "mixed"));
        Quantizer x = Fixture.activation(plan, "conv1", 0);
        assertFalse(x.symmetric());
        assertEquals(0, x.levelLow());
        assertEquals(255, x.levelHigh());
        double min = expected("x", Reducer.MIN, Aggregator.MEAN, 0, 0);
        double max = expected("x", Reducer.MAX, Aggregator.MEAN, 0, 0);
        assertEquals(min, x.min()[0], 1e-5);
        assertEquals(max, x.max()[0], 1e-5);
        double scale = (max - min) / 255;
        assertEquals(scale, x.scales()[0], 1e-6);
        assertEquals(Math.round(-min / scale), x.zeroPoints()[0]);
        assertTrue(x.zeroPoints()[0] > 0 && x.zeroPoints()[0] < 255);
        assertTrue(Fixture.weight(plan, "conv1").symmetric(), "mixed keeps weights symmetric");
    }

    @Test
    void accuracyMapsToMixedOnCpuButIsAsymmetricWhereTheDeviceAllows() {
        RealContext cpu = Fixture.run(Fixture.cpu(true), Map.of("preset", "accuracy"), Fixture.statistics());
        assertTrue(Fixture.weight(cpu.plan(), "conv1").symmetric());
        assertFalse(Fixture.activation(cpu.plan(), "conv1", 0).symmetric());
        @SuppressWarnings("unchecked")
        Map<String, Object> summary = (Map<String, Object>) cpu.reports().get("min_max_quantization");
        assertEquals("mixed", summary.get("effective_preset"));
        assertTrue(summary.get("notes").toString().contains("accuracy maps to mixed"));

        QuantizationSpace act = new QuantizationSpace(8, "asymmetric", "pertensor", null, null);
        QuantizationSpace wSym = new QuantizationSpace(8, "symmetric", "perchannel", -127L, 127L);
        QuantizationSpace wAsym = new QuantizationSpace(8, "asymmetric", "perchannel", -128L, 127L);
        HardwareConfig custom = new HardwareConfig("CUSTOM", List.of(new OperationConfig("Conv", Map.of(), List.of(0),
                List.of(1), List.of(act), List.of(wSym, wAsym), false)), List.of("Relu"), Map.of());
        QuantizationPlan plan = Fixture.plan(custom, Map.of("preset", "accuracy"));
        Quantizer w = Fixture.weight(plan, "conv1");
        assertFalse(w.symmetric());
        assertEquals(-128, w.levelLow());
        float[] data = Fixture.graph().initializers().get("W1").floats();
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int i = 0; i < 18; i++) {
            min = Math.min(min, data[i]);
            max = Math.max(max, data[i]);
        }
        assertEquals(min, w.min()[0]);
        assertEquals(max, w.max()[0]);
        assertEquals(Set.of("conv1", "conv2", "conv3"), plan.quantizedNodes());
    }

    @Test
    void declaresOneMinAndOneMaxStatisticPerActivationTensor() {
        RealContext context = new RealContext(Fixture.graph(), Fixture.cpu(true), null, null);
        context.setParameters(Fixture.none().validate(new MinMaxQuantization().parameters()));
        List<StatisticRequest> requests = new MinMaxQuantization().statistics(context);
        assertTrue(requests.contains(StatisticRequest.perTensor("x", Reducer.ABS_MAX, Aggregator.MEAN)));
        assertTrue(requests.contains(StatisticRequest.perTensor("x", Reducer.MIN, Aggregator.MIN)));
        assertEquals(Set.of("x", "r1", "c2", "c3", "f", "g", "y"), requests.stream().map(StatisticRequest::tensor)
                .collect(java.util.stream.Collectors.toSet()), "y: the output point of matmul");
        // r1 = Relu(c1) is non-negative by construction: no minimum is collected, and its abs_max is its max
        assertEquals(List.of(StatisticRequest.perTensor("r1", Reducer.MAX, Aggregator.MEAN)),
                requests.stream().filter(r -> r.tensor().equals("r1")).toList(), "r1 feeds two convs but is requested once");
        assertEquals(13, requests.size());
    }

    @Test
    void userPerTensorWeightsAndLevelsAreHonoured() {
        QuantizationPlan plan = Fixture.plan(Fixture.cpu(true), Map.of("weights", Map.of("granularity", "pertensor"),
                "activations", Map.of("level_low", -100, "level_high", 100)));
        Quantizer w = Fixture.weight(plan, "conv1");
        assertEquals(-1, w.axis());
        assertEquals(1, w.channels());
        Quantizer x = Fixture.activation(plan, "conv1", 0);
        assertEquals(-100, x.levelLow());
        assertEquals(100, x.levelHigh());
        assertEquals(x.max()[0] / 100f, x.scales()[0], 1e-7);
    }

    @Test
    void unsignedLevelsOnASignedTensorAreANamedErrorNotSilentClipping() {
        InvalidInputException error = assertThrows(InvalidInputException.class, () -> Fixture.plan(Fixture.cpu(true),
                Map.of("activations", Map.of("level_low", 0, "level_high", 127))));
        assertEquals("compression.algorithms[0].params.activations.level_low", error.field(), error.getMessage());
        assertTrue(error.allowed().contains("signed tensor"), error.getMessage());
    }

    @Test
    void overridesTheDeviceDoesNotAllowAreNamedErrors() {
        InvalidInputException bits = assertThrows(InvalidInputException.class,
                () -> Fixture.plan(Fixture.cpu(true), Map.of("activations", Map.of("bits", 4))));
        assertEquals("compression.algorithms[0].params.activations.bits", bits.field());
        assertTrue(bits.allowed().contains("8-bit"), bits.getMessage());
        InvalidInputException mode = assertThrows(InvalidInputException.class,
                () -> Fixture.plan(new NpuDevice().hardwareConfig(), Map.of("weights", Map.of("mode", "asymmetric"))));
        assertEquals("compression.algorithms[0].params.weights.mode", mode.field());
        assertTrue(mode.allowed().startsWith("NPU allows for Conv weights"), mode.getMessage());
        InvalidInputException typo = assertThrows(InvalidInputException.class,
                () -> Fixture.plan(Fixture.cpu(true), Map.of("weights", Map.of("granularty", "pertensor"))));
        assertTrue(typo.getMessage().contains("granularity"), typo.getMessage());
    }

    @Test
    void npuUsesAsymmetricActivationsAndUnifiesElementwiseInputs() {
        RealContext context = Fixture.run(new NpuDevice().hardwareConfig(), Map.of("preset", "performance"),
                Fixture.statistics());
        QuantizationPlan plan = context.plan();
        Quantizer c2 = Fixture.activation(plan, "add", 0);
        Quantizer c3 = Fixture.activation(plan, "add", 1);
        assertFalse(c2.symmetric(), "NPU allows only asymmetric activations");
        assertTrue(Fixture.weight(plan, "conv1").symmetric());
        assertEquals(List.of(Set.of("c2", "c3")), plan.unifiedScaleGroups());
        double min = Math.min(expected("c2", Reducer.MIN, Aggregator.MEAN, 0, 0), expected("c3", Reducer.MIN, Aggregator.MEAN, 0, 0));
        double max = Math.max(expected("c2", Reducer.MAX, Aggregator.MEAN, 0, 0), expected("c3", Reducer.MAX, Aggregator.MEAN, 0, 0));
        assertEquals(min, c2.min()[0], 1e-5);
        assertEquals(max, c2.max()[0], 1e-5);
        assertArrayEquals(c2.scales(), c3.scales());
        assertArrayEquals(c2.zeroPoints(), c3.zeroPoints());
        assertTrue(context.reports().get("min_max_quantization").toString().contains("NPU requires asymmetric activations"));
        // CPU: Add inputs are not unified
        QuantizationPlan cpu = Fixture.plan(Fixture.cpu(true), Map.of());
        assertTrue(cpu.unifiedScaleGroups().isEmpty());
        assertFalse(java.util.Arrays.equals(Fixture.activation(cpu, "add", 0).scales(), Fixture.activation(cpu, "add", 1).scales()));
    }

    @Test
    void gnaQuantizesActivationsTo16Bits() {
        QuantizationPlan plan = Fixture.plan(new GnaDevice().hardwareConfig(), Map.of());
        Quantizer x = Fixture.activation(plan, "conv1", 0);
        assertEquals(16, x.bits());
        assertEquals(-32767, x.levelLow());
        assertEquals(32767, x.levelHigh());
        assertEquals(x.max()[0] / 32767f, x.scales()[0], 1e-9);
        Quantizer r1 = Fixture.activation(plan, "conv2", 0);
        assertEquals(0, r1.levelLow());
        assertEquals(65535, r1.levelHigh());
        assertEquals(8, Fixture.weight(plan, "conv1").bits(), "performance on GNA: the narrowest weights, as in POT");
        QuantizationPlan accuracy = Fixture.plan(new GnaDevice().hardwareConfig(), Map.of("preset", "accuracy"));
        assertEquals(16, Fixture.weight(accuracy, "conv1").bits(), "accuracy: GNA's first choice, 16-bit weights");
        assertEquals(-32767, Fixture.weight(accuracy, "conv1").levelLow());
        QuantizationPlan w8 = Fixture.plan(new GnaDevice().hardwareConfig(), Map.of("weights", Map.of("bits", 8)));
        assertEquals(8, Fixture.weight(w8, "conv1").bits());
        assertEquals(-127, Fixture.weight(w8, "conv1").levelLow());
        assertEquals(16, Fixture.activation(w8, "conv1", 0).bits());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Fixture.plan(new GnaDevice().hardwareConfig(), Map.of("activations", Map.of("bits", 8))));
        assertTrue(e.field().endsWith("activations.bits"));
    }

    @Test
    void samePlanTwice() {
        assertEquals(Fixture.plan(Fixture.cpu(false), Map.of("preset", "mixed")).quantizers(),
                Fixture.plan(Fixture.cpu(false), Map.of("preset", "mixed")).quantizers());
    }

    @Test
    void reportsEveryPointWithItsRangeSource() {
        RealContext context = Fixture.run(Fixture.cpu(true), Map.of(), Fixture.statistics());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> points = (List<Map<String, Object>>) context.reports().get("quantization_points");
        assertEquals(context.plan().quantizers().size(), points.size());
        Map<String, Object> x = points.get(0);
        assertEquals("conv1", x.get("node"));
        assertEquals("x", x.get("tensor"));
        assertEquals(8, x.get("bits"));
        assertEquals("symmetric", x.get("mode"));
        assertTrue(x.get("range_source").toString().contains("mean of per-sample abs_max over 40 samples"), x.toString());
        // a symmetric point's range is ±max: the min only decides the sign, and the source says so
        assertTrue(x.get("range_source").toString().startsWith("symmetric "), x.toString());
        assertTrue(x.get("range_source").toString().contains("sign from min: "), x.toString());
    }
}
