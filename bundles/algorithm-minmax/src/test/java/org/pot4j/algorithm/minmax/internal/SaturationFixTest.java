package org.pot4j.algorithm.minmax.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;

class SaturationFixTest {

    private static List<Integer> weightBits(QuantizationPlan plan) {
        return plan.points(QuantizationPoint.Kind.WEIGHT).stream().map(p -> plan.quantizers().get(p).bits()).toList();
    }

    @Test
    void firstLayerByDefaultWhenTheCpuHasNoVnni() {
        RealContext context = Fixture.run(Fixture.cpu(false), Map.of(), Fixture.statistics());
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
        RealContext vnni = Fixture.run(Fixture.cpu(true), Map.of("saturation_fix", "all"), Fixture.statistics());
        assertEquals(List.of(8, 8, 8, 8, 8), weightBits(vnni.plan()), "VNNI cannot saturate: no fix");
        assertTrue(vnni.reports().get("saturation_fix").toString().contains("has VNNI"));
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
        QuantizationPlan plan = Fixture.plan(Fixture.cpu(false), Map.of("ignored", Map.of("scope", List.of("conv1"))));
        assertEquals(7, Fixture.weight(plan, "conv2").bits());
        assertEquals(8, Fixture.weight(plan, "conv3").bits());
    }
}
