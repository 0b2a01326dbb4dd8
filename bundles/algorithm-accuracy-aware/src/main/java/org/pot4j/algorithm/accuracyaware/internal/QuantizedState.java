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
 * {@code base} parameters and the {@code reverted} layers kept float, and its metrics on the full
 * validation set (with per-sample values, for choosing the next ranking subset).
 */
record QuantizedState(Graph model, QuantizationPlan plan, EvaluationResult evaluation, Parameters base,
                      List<String> reverted) {

    QuantizedState {
        reverted = List.copyOf(reverted);
    }

    Map<String, Double> values() {
        return evaluation.values();
    }

    List<String> revertedWith(String node) {
        List<String> list = new ArrayList<>(reverted);
        list.add(node);
        return list;
    }
}
