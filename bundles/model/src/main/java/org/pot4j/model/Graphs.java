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

    // ---------------------------------------------------------------- opset upgrade

    private static final Set<String> AXES_TO_INPUT_AT_13 = Set.of("Squeeze", "Unsqueeze", "ReduceSum");
    private static final Set<String> AXES_TO_INPUT_AT_18 = Set.of("ReduceMax", "ReduceMean", "ReduceMin",
            "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");
    private static final Set<String> CHANGED_BEFORE_11 = Set.of("Pad", "Clip", "Slice", "Upsample", "TopK",
            "Resize", "Scan", "Scatter");
    private static final Set<String> SOFTMAX_FAMILY = Set.of("Softmax", "LogSoftmax", "Hardmax");

    /**
     * Raises the default-domain opset import to at least {@code minimum}, rewriting the nodes whose
     * signature changed on the way (Squeeze/Unsqueeze/ReduceSum/Split axes at 13, the other Reduce ops at
     * 18, Dropout's ratio at 12). Throws MODEL_ERROR naming the node when a node's meaning would change
     * and cannot be rewritten (e.g. Softmax over a non-last axis, models below opset 11 with Pad/Clip/Slice).
     * Also raises ir_version to what the opset needs (7 for 13, 10 for 21). Returns whether anything changed.
     */
    public static boolean ensureOpset(Graph graph, long minimum) {
        long current = graph.opsets().getOrDefault("", graph.opsets().getOrDefault("ai.onnx", 0L));
        if (current >= minimum) {
            return false;
        }
        if (current == 0) {
            current = 1;
        }
        UniqueNames names = new UniqueNames(graph);
        for (Node node : graph.nodes()) {
            if (!node.domain().isEmpty() && !node.domain().equals("ai.onnx")) {
                continue;
            }
            upgradeNode(graph, node, current, minimum, names);
        }
        if (graph.opsets().containsKey("ai.onnx") && !graph.opsets().containsKey("")) {
            graph.opsets().put("ai.onnx", minimum);
        } else {
            graph.opsets().put("", minimum);
        }
        long neededIr = minimum >= 21 ? 10 : minimum >= 19 ? 9 : minimum >= 15 ? 8 : 7;
        if (graph.irVersion() < neededIr) {
            graph.setIrVersion(neededIr);
        }
        return true;
    }

    private static void upgradeNode(Graph graph, Node node, long from, long to, UniqueNames names) {
        String op = node.opType();
        if (from < 11 && to >= 11 && CHANGED_BEFORE_11.contains(op)) {
            throw cannotUpgrade(node, from, to, "its inputs changed in opset 10/11");
        }
        if (from < 12 && to >= 12 && op.equals("Dropout")) {
            node.attributes().remove("ratio"); // inference: Dropout is the identity whatever the ratio
        }
        if (from < 13 && to >= 13) {
            if (AXES_TO_INPUT_AT_13.contains(op)) {
                moveIntsAttributeToInput(graph, node, "axes", 1, names);
            } else if (op.equals("Split")) {
                moveIntsAttributeToInput(graph, node, "split", 1, names);
            } else if (SOFTMAX_FAMILY.contains(op)) {
                upgradeSoftmax(graph, node, from, to);
            }
        }
        if (from < 18 && to >= 18 && AXES_TO_INPUT_AT_18.contains(op)) {
            moveIntsAttributeToInput(graph, node, "axes", 1, names);
        }
        if (from < 20 && to >= 20 && op.equals("GridSample")) {
            throw cannotUpgrade(node, from, to, "its mode names changed in opset 20");
        }
    }

    private static void moveIntsAttributeToInput(Graph graph, Node node, String attributeName, int inputIndex,
                                                 UniqueNames names) {
        Attribute attribute = node.attributes().remove(attributeName);
        if (attribute == null) {
            return;
        }
        long[] values = attribute.asInts();
        String base = (node.name().isEmpty() ? node.outputs().get(0) : node.name()) + "_" + attributeName;
        String name = names.next(base);
        graph.initializers().put(name, Tensor.ofLongs(new long[] {values.length}, values));
        while (node.inputs().size() < inputIndex) {
            node.inputs().add("");
        }
        node.inputs().add(inputIndex, name);
    }

    /** Before 13 these ops flattened the input to 2-D at axis (default 1); from 13 they work along one axis (default -1). */
    private static void upgradeSoftmax(Graph graph, Node node, long from, long to) {
        long axis = node.intAttribute("axis", 1);
        if (axis == -1) {
            return;
        }
        Integer rank = graph.valueInfo(node.input(0)).map(ValueInfo::dims).map(List::size).orElse(null);
        if (rank != null && (axis < 0 ? axis + rank : axis) == rank - 1) {
            node.attributes().put("axis", Attribute.ofInt(-1));
            return;
        }
        throw cannotUpgrade(node, from, to, "before opset 13 it worked on the flattened trailing dimensions"
                + " (axis " + axis + ", input rank " + (rank == null ? "unknown" : rank) + ")");
    }

    private static Pot4jException cannotUpgrade(Node node, long from, long to, String why) {
        return new Pot4jException(OnnxCodec.ERROR_CODE, "cannot raise the model's opset from " + from + " to " + to
                + ": node '" + node.name() + "' (" + node.opType() + ") would change meaning, " + why
                + "; export the model with opset " + to + " or newer");
    }
}
