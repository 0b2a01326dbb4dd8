package org.pot4j.algorithm.accuracyaware.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.params.Parameters;

/** The group search on made-up accuracy functions of the set of float layers. */
class GroupSearchTest {
    private final Criteria criteria = new Criteria(Map.of("accuracy", 0.90), Map.of("accuracy", true), 0.01, false,
            "drop_type");
    private final List<List<String>> tried = new ArrayList<>();

    private GroupSearch.Trial trial(Function<Set<String>, Double> accuracy) {
        return reverted -> {
            tried.add(List.copyOf(reverted));
            EvaluationResult result = new EvaluationResult(Map.of("accuracy", accuracy.apply(new HashSet<>(reverted))),
                    Map.of(), Map.of("accuracy", true), new int[0]);
            return new QuantizedState(null, null, result, Parameters.empty("params"), reverted);
        };
    }

    @Test
    void aPairThatOnlyHelpsTogetherIsFoundAndNothingElseStaysFloat() throws Exception {
        // single reverts of a or b change nothing (their errors cancel on one Add); both float meets the bound
        GroupSearch.Outcome outcome = new GroupSearch(trial(s -> s.containsAll(Set.of("a", "b")) ? 0.90 : 0.80),
                criteria, 20).run(List.of(), List.of("a", "c", "b", "d", "e"));
        assertEquals(Set.of("a", "b"), Set.copyOf(outcome.result().reverted()));
        assertEquals(tried.size(), outcome.trials());
        // all five, then bisection (two), then giving back b, c and a one at a time
        assertTrue(outcome.trials() <= 1 + 3 + 3, "trials " + outcome.trials());
    }

    @Test
    void layersRevertedBeforeStayRevertedAndEveryTrialHasThem() throws Exception {
        GroupSearch.Outcome outcome = new GroupSearch(trial(s -> s.containsAll(Set.of("x", "c")) ? 0.895 : 0.85),
                criteria, 20).run(List.of("x"), List.of("a", "b", "c"));
        assertEquals(List.of("x", "c"), outcome.result().reverted());
        assertTrue(tried.stream().allMatch(t -> t.get(0).equals("x")), tried.toString());
    }

    @Test
    void aBoundEvenAllRankedLayersCannotMeetStopsAfterOneTrial() throws Exception {
        GroupSearch.Outcome outcome = new GroupSearch(trial(s -> 0.5), criteria, 20).run(List.of(), List.of("a", "b"));
        assertNull(outcome.result());
        assertEquals(1, outcome.trials());
        assertTrue(outcome.summary().contains("not met even with all 2"), outcome.summary());
    }

    @Test
    void theBudgetBoundsTheTrials() throws Exception {
        GroupSearch.Outcome outcome = new GroupSearch(trial(s -> s.size() >= 3 ? 0.9 : 0.5), criteria, 2)
                .run(List.of(), List.of("a", "b", "c", "d", "e", "f", "g", "h"));
        assertEquals(2, outcome.trials());
        assertEquals(2, tried.size());
    }

    @Test
    void theSearchStartsOnlyWithIterationsEnoughToBisect() {
        assertEquals(1 + 0, GroupSearch.trialsToBisect(1));
        assertEquals(1 + 1, GroupSearch.trialsToBisect(2));
        assertEquals(1 + 3, GroupSearch.trialsToBisect(6));
        assertEquals(1 + 3, GroupSearch.trialsToBisect(8));
        assertEquals(1 + 6, GroupSearch.trialsToBisect(50));
    }
}
