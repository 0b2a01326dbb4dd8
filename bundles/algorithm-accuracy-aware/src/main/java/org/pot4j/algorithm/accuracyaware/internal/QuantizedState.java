package org.pot4j.algorithm.accuracyaware.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;

/**
 * One candidate model of the search: model + plan as the base algorithm made them with
 * {@code base} parameters and the {@code reverted} layers kept float, and its last evaluation (per-sample values
 * included, for choosing the next ranking subset).
 * <p>
 * {@code estimate} is the full-set metrics estimated from the acceptance subset ({@link SubsetAcceptance}), or
 * null when there is none. The evaluation is of the full validation set when {@link #confirmed()}, else of the
 * acceptance subset only: then {@link #values()} is the estimate, which misses the bound by more than its margin.
 */
record QuantizedState(Graph model, QuantizationPlan plan, EvaluationResult evaluation, Parameters base,
                      List<String> reverted, Map<String, Double> estimate, boolean confirmed) {

    QuantizedState {
        reverted = List.copyOf(reverted);
    }

    /** A state evaluated on the full validation set. */
    QuantizedState(Graph model, QuantizationPlan plan, EvaluationResult evaluation, Parameters base,
                   List<String> reverted) {
        this(model, plan, evaluation, base, reverted, null, true);
    }

    /** Full-set metrics when confirmed, else the subset's estimate of them. */
    Map<String, Double> values() {
        return confirmed ? evaluation.values() : estimate;
    }

    /**
     * What two states are compared by: full-set values when both have them (the most exact), else the paired subset
     * estimates (both from the same samples).
     */
    Map<String, Double> comparable(QuantizedState other) {
        return (confirmed && other.confirmed) || estimate == null || other.estimate == null ? values() : estimate;
    }

    /** The reverted layers plus {@code node} and the nodes whose quantizers are tied with it ({@link QuantizerGroups}). */
    List<String> revertedWith(String node) {
        List<String> list = new ArrayList<>(reverted);
        for (String member : plan == null ? List.of(node) : QuantizerGroups.of(plan).membersOf(node)) {
            if (!list.contains(member)) {
                list.add(member);
            }
        }
        return list;
    }
}
