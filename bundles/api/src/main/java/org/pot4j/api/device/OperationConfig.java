package org.pot4j.api.device;

import java.util.List;
import java.util.Map;

/**
 * How a device quantizes one op type: which inputs are activations and which are weights,
 * the allowed spaces of each (first is the preferred one), matching attributes (e.g. depthwise
 * {@code group}), and whether the activation inputs must share one scale.
 */
public record OperationConfig(String opType, Map<String, Object> attributes, List<Integer> activationInputs,
                              List<Integer> weightInputs, List<QuantizationSpace> activations,
                              List<QuantizationSpace> weights, boolean unifiedScales) {

    public OperationConfig {
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
        activationInputs = List.copyOf(activationInputs);
        weightInputs = List.copyOf(weightInputs);
        activations = List.copyOf(activations);
        weights = List.copyOf(weights);
    }
}
