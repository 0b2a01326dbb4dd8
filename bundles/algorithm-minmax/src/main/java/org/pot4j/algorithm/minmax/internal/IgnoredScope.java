package org.pot4j.algorithm.minmax.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.params.Parameters;

/**
 * POT's {@code ignored} ({@code scope}, {@code operations}) and NNCF's {@code ignored_scope}
 * ({@code types}, {@code patterns}, {@code subgraphs}, {@code validate}), resolved against one
 * graph into node name → reason. With validate (the default), an entry that matches nothing is
 * an {@link InvalidInputException} naming it: a typo must not silently quantize a layer.
 */
final class IgnoredScope {

    private IgnoredScope() {
    }

    /** Ignored node names with the reason, in graph order of first match. */
    static Map<String, String> resolve(Graph graph, List<Parameters> blocks) {
        Map<String, String> ignored = new LinkedHashMap<>();
        for (Parameters raw : blocks) {
            Parameters block = raw.validate(MinMaxParameters.ignored());
            boolean validate = block.bool("validate", true);
            scope(graph, block, validate, ignored);
            operations(graph, block, validate, ignored);
            types(graph, block, validate, ignored);
            patterns(graph, block, validate, ignored);
            subgraphs(graph, block, validate, ignored);
        }
        return ignored;
    }

    private static void scope(Graph graph, Parameters block, boolean validate, Map<String, String> ignored) {
        List<String> names = block.stringList("scope");
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (graph.node(name).isPresent()) {
                ignored.putIfAbsent(name, block.pathOf("scope"));
            } else if (validate) {
                throw new InvalidInputException(block.pathOf("scope") + "[" + i + "]", name,
                        "no node of the model has this name" + hint(graph, name));
            }
        }
    }

    private static void operations(Graph graph, Parameters block, boolean validate, Map<String, String> ignored) {
        List<Parameters> operations = block.objectList("operations");
        for (int i = 0; i < operations.size(); i++) {
            Parameters operation = operations.get(i);
            String type = operation.string("type");
            Map<String, Object> attributes = operation.has("attributes") ? operation.object("attributes").asMap() : Map.of();
            for (String key : operation.keys()) {
                if (!key.equals("type") && !key.equals("attributes")) {
                    throw new InvalidInputException(operation.pathOf(key), key,
                            Parameters.unknownKeyHint(key, List.of("type", "attributes")));
                }
            }
            boolean matched = false;
            for (Node node : graph.nodes()) {
                if (node.opType().equals(type) && attributesMatch(node, attributes)) {
                    ignored.putIfAbsent(node.name(), block.pathOf("operations") + "[" + i + "] " + type
                            + (attributes.isEmpty() ? "" : " " + attributes));
                    matched = true;
                }
            }
            if (!matched && validate) {
                throw new InvalidInputException(operation.pathOf("type"), type + (attributes.isEmpty() ? "" : " " + attributes),
                        "no node of the model has this type and attributes; op types in the model: " + opTypes(graph));
            }
        }
    }

    private static void types(Graph graph, Parameters block, boolean validate, Map<String, String> ignored) {
        List<String> types = block.stringList("types");
        for (int i = 0; i < types.size(); i++) {
            String type = types.get(i);
            boolean matched = false;
            for (Node node : graph.nodes()) {
                if (node.opType().equals(type)) {
                    ignored.putIfAbsent(node.name(), block.pathOf("types") + " " + type);
                    matched = true;
                }
            }
            if (!matched && validate) {
                throw new InvalidInputException(block.pathOf("types") + "[" + i + "]", type,
                        "no node of the model has this type; op types in the model: " + opTypes(graph));
            }
        }
    }

    private static void patterns(Graph graph, Parameters block, boolean validate, Map<String, String> ignored) {
        List<String> patterns = block.stringList("patterns");
        for (int i = 0; i < patterns.size(); i++) {
            String path = block.pathOf("patterns") + "[" + i + "]";
            Pattern pattern;
            try {
                pattern = Pattern.compile(patterns.get(i));
            } catch (PatternSyntaxException e) {
                throw new InvalidInputException(path, patterns.get(i), "a Java regular expression: " + e.getDescription());
            }
            boolean matched = false;
            for (Node node : graph.nodes()) {
                if (pattern.matcher(node.name()).matches()) {
                    ignored.putIfAbsent(node.name(), block.pathOf("patterns") + " " + pattern.pattern());
                    matched = true;
                }
            }
            if (!matched && validate) {
                throw new InvalidInputException(path, patterns.get(i),
                        "matches no node name (the whole name must match)" + hint(graph, patterns.get(i)));
            }
        }
    }

    /** Nodes on a path from any input node to any output node, both included (NNCF's subgraph). */
    private static void subgraphs(Graph graph, Parameters block, boolean validate, Map<String, String> ignored) {
        List<Parameters> subgraphs = block.objectList("subgraphs");
        for (int i = 0; i < subgraphs.size(); i++) {
            Parameters subgraph = subgraphs.get(i);
            List<String> inputs = existing(graph, subgraph, "inputs");
            List<String> outputs = existing(graph, subgraph, "outputs");
            Set<String> forward = reach(graph, inputs, true);
            Set<String> backward = reach(graph, outputs, false);
            boolean matched = false;
            for (Node node : graph.nodes()) {
                if (forward.contains(node.name()) && backward.contains(node.name())) {
                    ignored.putIfAbsent(node.name(), block.pathOf("subgraphs") + "[" + i + "]");
                    matched = true;
                }
            }
            if (!matched && validate) {
                throw new InvalidInputException(subgraph.path(), inputs + " -> " + outputs,
                        "no path leads from the inputs to the outputs");
            }
        }
    }

    private static List<String> existing(Graph graph, Parameters subgraph, String key) {
        List<String> names = subgraph.stringList(key);
        if (names.isEmpty()) {
            throw new InvalidInputException(subgraph.pathOf(key), null, "a non-empty list of node names");
        }
        for (int i = 0; i < names.size(); i++) {
            if (graph.node(names.get(i)).isEmpty()) {
                throw new InvalidInputException(subgraph.pathOf(key) + "[" + i + "]", names.get(i),
                        "no node of the model has this name" + hint(graph, names.get(i)));
            }
        }
        return names;
    }

    private static Set<String> reach(Graph graph, List<String> start, boolean forward) {
        Set<String> seen = new HashSet<>(start);
        Deque<String> queue = new ArrayDeque<>(start);
        while (!queue.isEmpty()) {
            Node node = graph.node(queue.poll()).orElseThrow();
            List<Node> next = new ArrayList<>();
            if (forward) {
                node.outputs().forEach(v -> next.addAll(graph.consumers(v)));
            } else {
                node.inputs().forEach(v -> graph.producer(v).ifPresent(next::add));
            }
            for (Node n : next) {
                if (seen.add(n.name())) {
                    queue.add(n.name());
                }
            }
        }
        return seen;
    }

    static boolean attributesMatch(Node node, Map<String, Object> wanted) {
        for (Map.Entry<String, Object> entry : wanted.entrySet()) {
            Attribute attribute = node.attribute(entry.getKey());
            if (attribute == null || !sameValue(attribute, entry.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameValue(Attribute attribute, Object wanted) {
        Object value = attribute.value();
        if (value instanceof Long l) {
            return wanted instanceof Number n && n.doubleValue() == l;
        }
        if (value instanceof Float f) {
            return wanted instanceof Number n && (float) n.doubleValue() == f;
        }
        if (value instanceof String s) {
            return s.equals(wanted);
        }
        if (value instanceof long[] longs && wanted instanceof List<?> list) {
            return Arrays.equals(longs, list.stream().mapToLong(o -> ((Number) o).longValue()).toArray());
        }
        if (value instanceof float[] floats && wanted instanceof List<?> list && list.size() == floats.length) {
            for (int i = 0; i < floats.length; i++) {
                if (!(list.get(i) instanceof Number n) || (float) n.doubleValue() != floats[i]) {
                    return false;
                }
            }
            return true;
        }
        return String.valueOf(value).equals(String.valueOf(wanted));
    }

    private static String opTypes(Graph graph) {
        return String.join(", ", graph.nodes().stream().map(Node::opType).distinct().sorted().toList());
    }

    private static String hint(Graph graph, String name) {
        List<String> names = graph.nodes().stream().map(Node::name).toList();
        return Parameters.nearest(name, names).map(s -> " (did you mean '" + s + "'?)")
                .orElse("; node names look like: " + String.join(", ", names.subList(0, Math.min(5, names.size()))));
    }
}
