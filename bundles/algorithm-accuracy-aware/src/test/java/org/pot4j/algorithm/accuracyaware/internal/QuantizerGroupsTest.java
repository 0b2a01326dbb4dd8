package org.pot4j.algorithm.accuracyaware.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;

/**
 * Issue 14, quantizer groups: a Concat's inputs share one scale (a unified group, as MinMax plans them on CPU), so the
 * Concat and a layer reading one of its inputs are reverted and ranked together; untied layers stay on their own.
 */
class QuantizerGroupsTest {
    private static final Quantizer Q = new Quantizer(8, true, -1, -127, 127, new float[] {-1}, new float[] {1}, "test");

    /** conv_a and conv_b make a and b; concat joins them (unified); reader reads a too; tail reads c, untied. */
    private static QuantizationPlan plan() {
        QuantizationPlan plan = new QuantizationPlan();
        point(plan, "concat", 0, "a");
        point(plan, "concat", 1, "b");
        point(plan, "reader", 0, "a");
        point(plan, "conv_a", 0, "x");
        point(plan, "tail", 0, "c");
        plan.unifiedScaleGroups().add(new java.util.LinkedHashSet<>(List.of("a", "b")));
        return plan;
    }

    private static void point(QuantizationPlan plan, String node, int input, String tensor) {
        plan.quantizers().put(new QuantizationPoint(node, input, tensor, QuantizationPoint.Kind.ACTIVATION), Q);
    }

    @Test
    void theConcatAndEveryReaderOfItsTiedInputsFormOneGroup() {
        QuantizerGroups groups = QuantizerGroups.of(plan());
        assertEquals(Set.of("concat", "reader"), Set.copyOf(groups.membersOf("reader")));
        assertEquals("reader", groups.membersOf("reader").get(0), "the node asked for first");
        assertEquals(Set.of("concat", "reader"), Set.copyOf(groups.membersOf("concat")));
        assertEquals(List.of("tail"), groups.membersOf("tail"));
        assertEquals(List.of("conv_a"), groups.membersOf("conv_a"), "producing a tied tensor is not reading it");
        assertEquals(List.of("reader", "conv_a", "tail"),
                groups.representatives(List.of("reader", "concat", "conv_a", "tail")), "one ranking entry per group");
        assertEquals(List.of("reader", "concat", "tail"), groups.expand(List.of("reader", "tail")));
    }

    @Test
    void aRevertTakesTheWholeGroup() {
        QuantizedState state = new QuantizedState(null, plan(), null, Parameters.empty("params"), List.of("earlier"));
        assertEquals(List.of("earlier", "concat", "reader"), state.revertedWith("concat"));
        assertEquals(List.of("earlier", "tail"), state.revertedWith("tail"));
    }
}
