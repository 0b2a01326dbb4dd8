package org.pot4j.algorithm.minmax.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.tensor.Tensor;

/**
 * Which activations are non-negative by construction (the output of Relu, of Clip with a non-negative minimum,
 * of a pooling or reshaping of such a value, ...). Their quantization range starts at 0 whatever the data: every
 * range estimator of the low end gives a value >= 0 there, and a quantizer's range always includes 0; so MinMax
 * does not ask the statistics pass for their minimum, which is one read of the activation less per tensor.
 */
final class NonNegativeValues {
    /** Outputs that are >= 0 for any input. */
    private static final Set<String> NON_NEGATIVE_OPS = Set.of("Relu", "Sigmoid", "Softmax", "Abs", "Exp", "Softplus",
            "HardSigmoid");
    /** Ops whose first output takes its values from their first input (pooling, reshaping, selecting). */
    private static final Set<String> VALUE_PRESERVING = Set.of("MaxPool", "AveragePool", "GlobalAveragePool",
            "GlobalMaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout",
            "ReduceMax", "ReduceMin", "ReduceMean", "Resize", "Upsample", "SpaceToDepth", "DepthToSpace", "Slice",
            "Gather", "Tile", "Expand");
    /** Non-negative when every input is (constants included). */
    private static final Set<String> ALL_INPUTS = Set.of("Concat", "Add", "Sum", "Mul", "Min");
    private static final int MAX_DEPTH = 200;

    private final Graph graph;
    private final Map<String, Node> producers = new HashMap<>();
    private final Map<String, Optional<String>> known = new HashMap<>();

    NonNegativeValues(Graph graph) {
        this.graph = graph;
        for (Node node : graph.nodes()) {
            node.outputs().forEach(output -> producers.put(output, node));
        }
    }

    /** Why {@code tensor} is >= 0 by construction (e.g. "output of Relu /features.1/Relu"), or empty. */
    Optional<String> reason(String tensor) {
        return reason(tensor, 0);
    }

    private Optional<String> reason(String tensor, int depth) {
        Optional<String> cached = known.get(tensor);
        if (cached != null) {
            return cached;
        }
        Optional<String> result = depth > MAX_DEPTH ? Optional.empty() : compute(tensor, depth);
        known.put(tensor, result);
        return result;
    }

    private Optional<String> compute(String tensor, int depth) {
        Tensor constant = constant(tensor);
        if (constant != null) {
            return allNonNegative(constant) ? Optional.of("constant >= 0") : Optional.empty();
        }
        Node producer = producers.get(tensor);
        if (producer == null || !producer.domain().isEmpty() && !producer.domain().equals("ai.onnx")) {
            return Optional.empty(); // graph input, or an op of another domain
        }
        String op = producer.opType();
        String output = "output of " + op + " " + producer.name();
        if (NON_NEGATIVE_OPS.contains(op)) {
            return Optional.of(output);
        }
        if (op.equals("Clip")) {
            if (clipMinimumNonNegative(producer)) {
                return Optional.of(output + " (minimum >= 0)");
            }
            return through(producer.input(0), output, depth);
        }
        if (VALUE_PRESERVING.contains(op) && producer.outputs().get(0).equals(tensor)) {
            return through(producer.input(0), output, depth);
        }
        if (op.equals("Max")) {
            for (String input : producer.inputs()) {
                if (!input.isEmpty() && reason(input, depth + 1).isPresent()) {
                    return Optional.of(output + " of a non-negative input");
                }
            }
            return Optional.empty();
        }
        if (ALL_INPUTS.contains(op)) {
            for (String input : producer.inputs()) {
                if (input.isEmpty() || reason(input, depth + 1).isEmpty()) {
                    return Optional.empty();
                }
            }
            return Optional.of(output + " of non-negative inputs");
        }
        return Optional.empty();
    }

    private Optional<String> through(String input, String output, int depth) {
        return reason(input, depth + 1).map(inner -> output + " of " + inner);
    }

    /** Clip's minimum: input 1 from opset 11 on, the {@code min} attribute before; absent means no lower bound. */
    private boolean clipMinimumNonNegative(Node clip) {
        if (clip.inputs().size() > 1 && !clip.input(1).isEmpty()) {
            Tensor min = constant(clip.input(1));
            return min != null && min.size() == 1 && allNonNegative(min);
        }
        Attribute min = clip.attribute("min");
        return min != null && min.type() == Attribute.Type.FLOAT && min.asFloat() >= 0f;
    }

    private Tensor constant(String name) {
        Tensor initializer = graph.initializers().get(name);
        if (initializer != null) {
            return initializer;
        }
        Node producer = producers.get(name);
        if (producer != null && producer.opType().equals("Constant")) {
            Attribute value = producer.attribute("value");
            if (value != null && value.type() == Attribute.Type.TENSOR) {
                return value.asTensor();
            }
        }
        return null;
    }

    private static boolean allNonNegative(Tensor tensor) {
        float[] values;
        try {
            values = tensor.toFloats();
        } catch (RuntimeException notNumeric) {
            return false;
        }
        for (float value : values) {
            if (!(value >= 0f)) {
                return false; // negative or NaN
            }
        }
        return true;
    }
}
