package org.pot4j.algorithm.minmax.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.plan.QuantizationPlan;

class IgnoredScopeTest {

    /**
     * The scope's resolution alone: the CPU config without its runtime section, since the runtime placement would
     * also leave float the neighbours an ignored node takes out of an integer chain (RuntimePlacementTest).
     */
    private static QuantizationPlan plan(String key, Map<String, ?> scope) {
        return Fixture.plan(Fixture.withoutRuntime(Fixture.cpu(true)), Map.of(key, scope));
    }

    @Test
    void scopeByNodeNamePotStyle() {
        QuantizationPlan plan = plan("ignored", Map.of("scope", List.of("conv2", "gemm")));
        assertFalse(plan.quantizedNodes().contains("conv2"));
        assertFalse(plan.quantizedNodes().contains("gemm"));
        assertTrue(plan.quantizedNodes().containsAll(List.of("conv1", "conv3", "add", "matmul")));
        assertEquals("compression.algorithms[0].params.ignored.scope", plan.ignoredNodes().get("conv2"));
        assertTrue(plan.pointsOf("conv2").isEmpty());
    }

    @Test
    void operationsByTypeAndAttributes() {
        QuantizationPlan plan = plan("ignored", Map.of("operations", List.of(Map.of("type", "Conv",
                "attributes", Map.of("group", 1)))));
        assertEquals(Set.of("conv3"), plan.ignoredNodes().keySet(), "only conv3 carries group=1");
        assertTrue(plan.ignoredNodes().get("conv3").contains("operations[0] Conv"));
        QuantizationPlan all = plan("ignored", Map.of("operations", List.of(Map.of("type", "Conv"))));
        assertEquals(Set.of("conv1", "conv2", "conv3"), all.ignoredNodes().keySet());
        assertEquals(List.of("add", "gemm", "matmul", "mm2"), List.copyOf(all.quantizedNodes()));
    }

    @Test
    void typesAndPatterns() {
        assertEquals(Set.of("matmul", "mm2"), plan("ignored_scope", Map.of("types", List.of("MatMul"))).ignoredNodes().keySet());
        QuantizationPlan plan = plan("ignored_scope", Map.of("patterns", List.of("conv[23]")));
        assertEquals(Set.of("conv2", "conv3"), plan.ignoredNodes().keySet());
        assertTrue(plan.ignoredNodes().get("conv2").endsWith("patterns conv[23]"));
        assertTrue(plan.quantizedNodes().contains("conv1"), "patterns match whole names");
    }

    @Test
    void subgraphIgnoresEveryNodeOnAPathFromInputsToOutputs() {
        QuantizationPlan plan = plan("ignored_scope", Map.of("subgraphs",
                List.of(Map.of("inputs", List.of("conv2"), "outputs", List.of("gemm")))));
        assertEquals(Set.of("conv2", "add", "flat", "gemm"), plan.ignoredNodes().keySet());
        assertTrue(plan.quantizedNodes().contains("conv3"), "conv3 is not downstream of conv2");
        assertTrue(plan.quantizedNodes().contains("matmul"));
    }

    @Test
    void namesThatMatchNothingAreNamedErrorsUnlessValidateIsFalse() {
        InvalidInputException scope = assertThrows(InvalidInputException.class,
                () -> plan("ignored", Map.of("scope", List.of("conv1", "conv9"))));
        assertEquals("compression.algorithms[0].params.ignored.scope[1]", scope.field());
        assertEquals("conv9", scope.value());
        assertTrue(scope.getMessage().contains("did you mean"), scope.getMessage());
        InvalidInputException pattern = assertThrows(InvalidInputException.class,
                () -> plan("ignored_scope", Map.of("patterns", List.of("dense.*"))));
        assertEquals("compression.algorithms[0].params.ignored_scope.patterns[0]", pattern.field());
        InvalidInputException type = assertThrows(InvalidInputException.class,
                () -> plan("ignored", Map.of("operations", List.of(Map.of("type", "Conv", "attributes", Map.of("group", 4))))));
        assertTrue(type.field().endsWith("operations[0].type"), type.field());
        InvalidInputException sub = assertThrows(InvalidInputException.class,
                () -> plan("ignored_scope", Map.of("subgraphs", List.of(Map.of("inputs", List.of("convX"), "outputs", List.of("add"))))));
        assertTrue(sub.field().endsWith("subgraphs[0].inputs[0]"), sub.field());
        InvalidInputException regex = assertThrows(InvalidInputException.class,
                () -> plan("ignored_scope", Map.of("patterns", List.of("conv[")), "validate", false));
        assertTrue(regex.allowed().contains("regular expression"));

        QuantizationPlan lenient = plan("ignored_scope", Map.of("scope", List.of("conv9", "conv1"), "patterns",
                List.of("dense.*"), "validate", false));
        assertEquals(Set.of("conv1"), lenient.ignoredNodes().keySet());
        InvalidInputException unknownKey = assertThrows(InvalidInputException.class,
                () -> plan("ignored", Map.of("scopes", List.of("conv1"))));
        assertTrue(unknownKey.getMessage().contains("did you mean 'scope'"), unknownKey.getMessage());
    }

    private static QuantizationPlan plan(String key, Map<String, ?> scope, String extraKey, Object extra) {
        java.util.Map<String, Object> s = new java.util.LinkedHashMap<>(scope);
        s.put(extraKey, extra);
        return plan(key, s);
    }
}
