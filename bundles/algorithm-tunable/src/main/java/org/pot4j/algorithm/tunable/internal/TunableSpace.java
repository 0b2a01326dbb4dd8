package org.pot4j.algorithm.tunable.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.optimizer.SearchParameter;
import org.pot4j.api.optimizer.SearchSpace;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;

/**
 * One parameter per layer MinMax quantizes: the estimator variants whose plans quantize it, plus
 * "float" with the layer scope. A trial's plan is the reference plan with each layer's quantizers
 * taken from its chosen variant's plan, or removed: no statistics pass, only map edits.
 * Layers whose activations share a scale with others (Concat inputs) keep the reference estimator:
 * choosing per layer would break the shared scale.
 */
final class TunableSpace implements SearchSpace {
    static final String FLOAT = "float";
    static final String REASON = "kept in floating point by TunableQuantization";

    private final Map<String, QuantizationPlan> plans;
    private final QuantizationPlan reference;
    private final List<SearchParameter> parameters = new ArrayList<>();

    TunableSpace(Map<String, QuantizationPlan> plans, boolean layerScope) {
        this.plans = plans;
        this.reference = plans.get(EstimatorVariants.REFERENCE);
        Set<String> unified = new java.util.HashSet<>();
        reference.unifiedScaleGroups().forEach(unified::addAll);
        for (String node : reference.quantizedNodes()) {
            List<String> choices = new ArrayList<>();
            boolean shared = reference.pointsOf(node).stream().anyMatch(p -> unified.contains(p.tensor()));
            for (Map.Entry<String, QuantizationPlan> variant : plans.entrySet()) {
                if (variant.getKey().equals(EstimatorVariants.REFERENCE)
                        || !shared && variant.getValue().quantizedNodes().contains(node)) {
                    choices.add(variant.getKey());
                }
            }
            if (layerScope) {
                choices.add(FLOAT);
            }
            parameters.add(new SearchParameter(node, choices, EstimatorVariants.REFERENCE));
        }
    }

    @Override
    public List<SearchParameter> parameters() {
        return parameters;
    }

    @Override
    public void apply(AlgorithmContext context, Map<String, String> choices) {
        QuantizationPlan plan = reference.copy();
        for (SearchParameter parameter : parameters) {
            String choice = choices.getOrDefault(parameter.name(), parameter.reference());
            if (choice.equals(FLOAT)) {
                plan.revert(parameter.name(), REASON);
            } else if (!choice.equals(EstimatorVariants.REFERENCE)) {
                QuantizationPlan variant = plans.get(choice);
                for (QuantizationPoint point : variant.pointsOf(parameter.name())) {
                    plan.quantizers().put(point, variant.quantizers().get(point));
                }
            }
        }
        context.setPlan(plan);
    }

    @Override
    public double quantizedFraction(Map<String, String> choices) {
        if (parameters.isEmpty()) {
            return 1.0;
        }
        long quantized = parameters.stream().filter(p -> !FLOAT.equals(choices.get(p.name()))).count();
        return (double) quantized / parameters.size();
    }
}
