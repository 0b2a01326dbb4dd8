package org.pot4j.algorithm.minmax.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;

class SaturationFixTest {

    private static List<Integer> weightBits(QuantizationPlan plan) {
        return plan.points(QuantizationPoint.Kind.WEIGHT).stream().map(p -> plan.quantizers().get(p).bits()).toList();
    }

    /**
     * The CPU device advises every layer reading a signed activation (ONNX Runtime's VNNI-less kernels saturate
     * there): conv1 (the model input), gemm (Flatten of an Add) and matmul; conv2 and conv3 read a Relu and keep 8
     * bits.
     */
    @Test
    void signedInputsByDefaultWhenTheCpuHasNoVnni() {
        RealContext context = Fixture.run(Fixture.cpu(false), Map.of(), Fixture.statistics());
        assertEquals(List.of(7, 8, 8, 7, 7), weightBits(context.plan()));
        assertEquals("signed_inputs", ((Map<?, ?>) context.reports().get("saturation_fix")).get("mode"));
    }

    /** A VNNI-less device that advises nothing gets POT's default, the first layer only. */
    @Test
    void firstLayerByDefaultWhenTheDeviceAdvisesNothing() {
        HardwareConfig cpu = Fixture.cpu(false);
        Map<String, String> properties = new LinkedHashMap<>(cpu.properties());
        properties.remove("saturation_fix");
        HardwareConfig silent = new HardwareConfig(cpu.device(), cpu.operations(), cpu.agnosticOperations(), properties,
                cpu.runtime());
        RealContext context = Fixture.run(silent, Map.of(), Fixture.statistics());
        QuantizationPlan plan = context.plan();
        Quantizer first = Fixture.weight(plan, "conv1");
        assertEquals(7, first.bits());
        assertEquals(-63, first.levelLow());
        assertEquals(63, first.levelHigh());
        assertEquals(first.max()[0] / 63f, first.scales()[0], 1e-7);
        assertEquals(List.of(7, 8, 8, 8, 8), weightBits(plan));
        assertEquals(8, Fixture.activation(plan, "conv1", 0).bits(), "activations keep 8 bits");
        @SuppressWarnings("unchecked")
        Map<String, Object> report = (Map<String, Object>) context.reports().get("saturation_fix");
        assertEquals(true, report.get("applied"));
        assertEquals(List.of("conv1"), report.get("nodes"));
        assertEquals("false", report.get("vnni"));
    }

    @Test
    void allLayersOrNone() {
        assertEquals(List.of(7, 7, 7, 7, 7), weightBits(Fixture.plan(Fixture.cpu(false), Map.of("saturation_fix", "all"))));
        assertEquals(List.of(8, 8, 8, 8, 8), weightBits(Fixture.plan(Fixture.cpu(false), Map.of("saturation_fix", "no"))));
        RealContext byDefault = Fixture.run(Fixture.cpu(true), Map.of(), Fixture.statistics());
        assertEquals(List.of(8, 8, 8, 8, 8), weightBits(byDefault.plan()), "VNNI here and nothing asked: no fix");
        assertTrue(byDefault.reports().get("saturation_fix").toString().contains("has VNNI"));
        // asked for: applied whatever this machine has (the model may run on a CPU without VNNI), as in POT
        RealContext asked = Fixture.run(Fixture.cpu(true), Map.of("saturation_fix", "all"), Fixture.statistics());
        assertEquals(List.of(7, 7, 7, 7, 7), weightBits(asked.plan()));
        assertTrue(asked.reports().get("saturation_fix").toString().contains("requested"),
                asked.reports().get("saturation_fix").toString());
        RealContext first = Fixture.run(Fixture.cpu(true), Map.of("saturation_fix", "first_layer"), Fixture.statistics());
        assertEquals(List.of(7, 8, 8, 8, 8), weightBits(first.plan()));
    }

    @Test
    void asymmetricWeightsGetTheSevenBitAsymmetricGrid() {
        Quantizer q = new Quantizer(8, false, 0, -128, 127, new float[] {-1f}, new float[] {2f}, "t");
        Quantizer fixed = MinMaxPlanner.saturationFix(q);
        assertEquals(7, fixed.bits());
        assertEquals(-64, fixed.levelLow());
        assertEquals(63, fixed.levelHigh());
    }

    @Test
    void firstLayerIsTheFirstQuantizedOneWhenTheRealFirstIsIgnored() {
        QuantizationPlan plan = Fixture.plan(Fixture.cpu(false), Map.of("saturation_fix", "first_layer",
                "ignored", Map.of("scope", List.of("conv1"))));
        assertEquals(7, Fixture.weight(plan, "conv2").bits());
        assertEquals(8, Fixture.weight(plan, "conv3").bits());
    }
}
