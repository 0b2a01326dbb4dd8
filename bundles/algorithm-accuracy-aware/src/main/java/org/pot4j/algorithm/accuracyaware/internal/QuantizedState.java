package org.pot4j.algorithm.accuracyaware.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.plan.QuantizationPlan;

/**
 * One candidate model of the search: model + plan, its metrics on the full validation set (with
 * per-sample values, for choosing the next ranking subset) and the layers reverted so far.
 */
record QuantizedState(Graph model, QuantizationPlan plan, EvaluationResult evaluation, List<String> reverted) {

    static final String REASON = "reverted to floating point by AccuracyAwareQuantization";

    QuantizedState {
        reverted = List.copyOf(reverted);
    }

    Map<String, Double> values() {
        return evaluation.values();
    }

    /**
     * This model and plan with {@code node} in floating point: its quantizers removed and its own
     * weights and biases restored from the FP32 model, because bias correction shifted them to
     * compensate a quantization error the reverted layer no longer has.
     */
    static Reverted revert(Graph model, QuantizationPlan plan, Graph fp32, String node) {
        QuantizationPlan revertedPlan = plan.copy();
        revertedPlan.revert(node, REASON);
        Graph revertedModel = model;
        Node layer = model.node(node).orElse(null);
        if (layer != null) {
            for (String input : layer.inputs()) {
                var original = fp32.initializers().get(input);
                if (original != null && model.initializers().get(input) != original) {
                    if (revertedModel == model) {
                        revertedModel = model.copy();
                    }
                    revertedModel.initializers().put(input, original);
                }
            }
        }
        return new Reverted(revertedModel, revertedPlan);
    }

    record Reverted(Graph model, QuantizationPlan plan) {
    }

    List<String> revertedWith(String node) {
        List<String> list = new ArrayList<>(reverted);
        list.add(node);
        return list;
    }
}
