package org.pot4j.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/** Graph utilities algorithms need: order checks, extra outputs, opset upgrades. */
public final class Graphs {

    private Graphs() {
    }

    /** Whether every node only reads graph inputs, initializers or outputs of earlier nodes. */
    public static boolean isTopologicallySorted(Graph graph) {
        return firstOrderViolation(graph).isEmpty();
    }

    /**
     * Throws a {@link Pot4jException} (code MODEL_ERROR) naming the first node that reads a value
     * no earlier node, graph input or initializer provides.
     */
    public static void requireTopologicalOrder(Graph graph) {
        firstOrderViolation(graph).ifPresent(message -> {
            throw new Pot4jException(OnnxCodec.ERROR_CODE, message);
        });
    }

    private static Optional<String> firstOrderViolation(Graph graph) {
        Set<String> available = available(graph);
        for (Node node : graph.nodes()) {
            for (String input : inputsWithImplicit(node)) {
                if (!input.isEmpty() && !available.contains(input)) {
                    return Optional.of("node '" + node.name() + "' (" + node.opType() + ") reads '" + input
                            + "', which no earlier node, graph input or initializer provides");
                }
            }
            available.addAll(node.outputs());
        }
        return Optional.empty();
    }

    /**
     * Reorders the nodes topologically, keeping the current order wherever it is already valid
     * (stable Kahn's algorithm). Throws MODEL_ERROR on a cycle or a value nothing provides.
     */
    public static void sortTopologically(Graph graph) {
        if (isTopologicallySorted(graph)) {
            return;
        }
        List<Node> nodes = graph.nodes();
        Map<String, Integer> producerIndex = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String output : nodes.get(i).outputs()) {
                producerIndex.put(output, i);
            }
        }
        Set<String> external = available(graph);
        int[] pending = new int[nodes.size()];
        Map<Integer, List<Integer>> dependents = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            Set<Integer> dependencies = new LinkedHashSet<>();
            for (String input : inputsWithImplicit(nodes.get(i))) {
                if (input.isEmpty() || external.contains(input)) {
                    continue;
                }
                Integer producer = producerIndex.get(input);
                if (producer == null) {
                    throw new Pot4jException(OnnxCodec.ERROR_CODE, "node '" + nodes.get(i).name() + "' ("
                            + nodes.get(i).opType() + ") reads '" + input + "', which nothing provides");
                }
                if (producer != i) {
                    dependencies.add(producer);
                }
            }
            pending[i] = dependencies.size();
            for (int dependency : dependencies) {
                dependents.computeIfAbsent(dependency, k -> new ArrayList<>()).add(i);
            }
        }
        java.util.PriorityQueue<Integer> ready = new java.util.PriorityQueue<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (pending[i] == 0) {
                ready.add(i);
            }
        }
        List<Node> sorted = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            int next = ready.poll();
            sorted.add(nodes.get(next));
            for (int dependent : dependents.getOrDefault(next, List.of())) {
                if (--pending[dependent] == 0) {
                    ready.add(dependent);
                }
            }
        }
        if (sorted.size() != nodes.size()) {
            throw new Pot4jException(OnnxCodec.ERROR_CODE, "the graph has a cycle: " + (nodes.size() - sorted.size())
                    + " nodes depend on each other");
        }
        nodes.clear();
        nodes.addAll(sorted);
    }

    private static Set<String> available(Graph graph) {
        Set<String> available = new HashSet<>(graph.initializers().keySet());
        graph.inputs().forEach(input -> available.add(input.name()));
        available.add("");
        return available;
    }

    /** The node's inputs plus the outer-scope values its subgraphs read. */
    private static Collection<String> inputsWithImplicit(Node node) {
        Set<String> names = new LinkedHashSet<>(node.inputs());
        for (Attribute attribute : node.attributes().values()) {
            if (attribute.type() == Attribute.Type.GRAPH) {
                names.addAll(outerScopeReads(attribute.asGraph()));
            } else if (attribute.type() == Attribute.Type.GRAPHS) {
                attribute.asGraphs().forEach(g -> names.addAll(outerScopeReads(g)));
            }
        }
        return names;
    }

    private static Set<String> outerScopeReads(Graph subgraph) {
        Set<String> defined = available(subgraph);
        Set<String> reads = new LinkedHashSet<>();
        for (Node node : subgraph.nodes()) {
            for (String input : inputsWithImplicit(node)) {
                if (!defined.contains(input)) {
                    reads.add(input);
                }
            }
            defined.addAll(node.outputs());
        }
        return reads;
    }

    /**
     * Declares intermediate values as graph outputs (ONNX Runtime can only return declared outputs).
     * Uses the value's known type and shape from value_info, else FLOAT with unknown shape. Values
     * already declared as outputs are skipped. Returns the names added, in the given order.
     */
    public static List<String> addOutputs(Graph graph, Collection<String> values) {
        Set<String> declared = new HashSet<>();
        graph.outputs().forEach(output -> declared.add(output.name()));
        List<String> added = new ArrayList<>();
        for (String value : values) {
            if (!declared.add(value)) {
                continue;
            }
            ValueInfo info = graph.valueInfo(value).orElse(null);
            if (info == null && graph.isInitializer(value)) {
                Tensor tensor = graph.initializers().get(value);
                List<ValueInfo.Dim> dims = new ArrayList<>();
                for (long dim : tensor.shape()) dims.add(ValueInfo.Dim.of(dim));
                info = new ValueInfo(value, tensor.type(), dims);
            }
            if (info == null || info.type() == null) {
                info = new ValueInfo(value, DataType.FLOAT, info == null ? null : info.dims());
            }
            graph.outputs().add(new ValueInfo(value, info.type(), info.dims()));
            added.add(value);
        }
        return added;
    }

    /** Raises the default-domain opset to at least {@code minimum}: see {@link OpsetUpgrade#ensure}. */
    public static boolean ensureOpset(Graph graph, long minimum) {
        return OpsetUpgrade.ensure(graph, minimum);
    }
}
