package org.pot4j.algorithm.minmax.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.tensor.DataType;

/**
 * The element type of every value a model declares or that follows from its producer, and which values depend on
 * the model's inputs at all: exporters leave the shape
 * arithmetic of traced models (Shape, Gather, Add on INT64 sizes) without value_info, and an INT64 Add must not be
 * taken for a float activation to quantize. Rules: the declared type; Shape, Size, NonZero, ArgMax, ArgMin give
 * INT64; Cast its {@code to}; Constant its tensor; comparisons and logic BOOL; Where its second input; any other op its first typed input.
 */
final class ElementTypes {
    private static final Set<String> INT64_OPS = Set.of("Shape", "Size", "NonZero", "ArgMax", "ArgMin");
    private static final Set<String> BOOL_OPS = Set.of("Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
            "Not", "And", "Or", "Xor", "IsNaN", "IsInf");

    private final Map<String, DataType> types = new HashMap<>();
    /** Values computed from the model's inputs (the others are the same for every sample: constants). */
    private final Set<String> fromInputs = new java.util.HashSet<>();

    ElementTypes(Graph graph) {
        graph.inputs().forEach(v -> types.put(v.name(), v.type()));
        graph.valueInfos().forEach(v -> types.put(v.name(), v.type()));
        graph.outputs().forEach(v -> types.put(v.name(), v.type()));
        graph.initializers().forEach((name, tensor) -> types.put(name, tensor.type()));
        graph.inputs().forEach(v -> {
            if (!graph.isInitializer(v.name())) {
                fromInputs.add(v.name());
            }
        });
        for (Node node : graph.nodes()) {
            // a node with a subgraph (If, Loop, Scan) may read any outer value: taken as input-dependent
            boolean dependent = node.inputs().stream().anyMatch(fromInputs::contains) || hasSubgraph(node);
            if (dependent) {
                fromInputs.addAll(node.outputs());
            }
            // If, Loop, Scan: the outputs are their bodies', not their inputs' (an If's condition is BOOL)
            DataType inferred = hasSubgraph(node) ? null : infer(node);
            if (inferred != null) {
                for (String output : node.outputs()) {
                    types.putIfAbsent(output, inferred);
                }
            }
        }
    }

    /**
     * Whether the value is the same for every sample: produced only from initializers and constants (a position
     * embedding, a mask built from sizes). It has no batch dimension, so it is no activation to calibrate.
     */
    boolean constant(String value) {
        return !fromInputs.contains(value);
    }

    /** The value's element type, when declared or inferred. */
    Optional<DataType> of(String value) {
        return Optional.ofNullable(types.get(value));
    }

    private static boolean hasSubgraph(Node node) {
        return node.attributes().values().stream()
                .anyMatch(a -> a.type() == Attribute.Type.GRAPH || a.type() == Attribute.Type.GRAPHS);
    }

    private DataType infer(Node node) {
        if (INT64_OPS.contains(node.opType())) {
            return DataType.INT64;
        }
        if (BOOL_OPS.contains(node.opType())) {
            return DataType.BOOL;
        }
        if (node.opType().equals("Cast")) {
            Attribute to = node.attribute("to");
            return to == null ? null : DataType.fromOnnx((int) to.asInt());
        }
        if (node.opType().equals("Constant")) {
            Attribute value = node.attribute("value");
            return value != null && value.type() == Attribute.Type.TENSOR ? value.asTensor().type() : null;
        }
        if (node.opType().equals("ConstantOfShape")) {
            Attribute value = node.attribute("value");
            return value != null && value.type() == Attribute.Type.TENSOR ? value.asTensor().type() : DataType.FLOAT;
        }
        // Where(condition, x, y): the type of x and y, not of the condition
        int first = node.opType().equals("Where") ? 1 : 0;
        for (String input : node.inputs().subList(Math.min(first, node.inputs().size()), node.inputs().size())) {
            if (!input.isEmpty() && types.containsKey(input)) {
                return types.get(input);
            }
        }
        return null;
    }
}
