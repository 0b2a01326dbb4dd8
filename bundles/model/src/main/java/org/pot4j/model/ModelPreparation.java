package org.pot4j.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.tensor.Tensor;

/**
 * What a job does to a model right after loading it, before any data is read, so that every later stage (FP32
 * evaluation, statistics, algorithms, the QDQ writer) sees the same graph and a model pot4j cannot carry fails at
 * once: {@code If} nodes whose condition is constant (an initializer, a Constant, or Not / Identity / Cast of one)
 * are replaced by the branch they always take, then the opset is raised to {@link QdqWriter#MIN_OPSET} (per-channel
 * QuantizeLinear) by {@link OpsetUpgrade}, which names the node it cannot rewrite. Both keep the model's meaning.
 */
public final class ModelPreparation {
    private ModelPreparation() {
    }

    /** Prepares {@code graph} in place; returns one note per change made, for the job's report. */
    public static List<String> prepare(Graph graph) {
        List<String> notes = new ArrayList<>();
        foldConstantIfs(graph, new UniqueNames(graph), notes);
        long opset = OpsetUpgrade.opsetOf(graph);
        if (OpsetUpgrade.ensure(graph, QdqWriter.MIN_OPSET)) {
            notes.add("opset raised from " + opset + " to " + QdqWriter.MIN_OPSET
                    + " (QuantizeLinear per channel needs 13); every rewritten node keeps its meaning");
        }
        return notes;
    }

    /** Replaces every If with a constant condition by its branch, in this graph and in nested subgraphs. */
    static void foldConstantIfs(Graph graph, UniqueNames names, List<String> notes) {
        List<Node> result = new ArrayList<>();
        for (Node node : graph.nodes()) {
            for (Attribute attribute : node.attributes().values()) {
                if (attribute.type() == Attribute.Type.GRAPH) {
                    foldConstantIfs(attribute.asGraph(), names, notes);
                } else if (attribute.type() == Attribute.Type.GRAPHS) {
                    attribute.asGraphs().forEach(g -> foldConstantIfs(g, names, notes));
                }
            }
            Optional<Boolean> condition = node.opType().equals("If") && node.domain().isEmpty()
                    ? constantCondition(graph, node.input(0)) : Optional.empty();
            if (condition.isEmpty()) {
                result.add(node);
                continue;
            }
            String branchName = condition.get() ? "then_branch" : "else_branch";
            Graph branch = node.attribute(branchName).asGraph();
            inline(graph, node, branch, result, names);
            notes.add("If '" + node.name() + "' has a constant condition (" + condition.get() + "): replaced by its "
                    + branchName + " (" + branch.nodes().size() + " nodes)");
        }
        graph.nodes().clear();
        graph.nodes().addAll(result);
    }

    private static void inline(Graph graph, Node ifNode, Graph branch, List<Node> out, UniqueNames names) {
        branch.initializers().forEach(graph.initializers()::put);
        // a branch output a branch node computes takes the If output's name; any other one is copied by an Identity
        Map<String, String> renamed = new HashMap<>();
        List<Node> identities = new ArrayList<>();
        for (int i = 0; i < ifNode.outputs().size(); i++) {
            String inner = branch.outputs().get(i).name();
            String outer = ifNode.output(i);
            boolean computedInside = branch.nodes().stream().anyMatch(n -> n.outputs().contains(inner));
            if (computedInside && !renamed.containsKey(inner)) {
                renamed.put(inner, outer);
            } else {
                identities.add(new Node(names.next(ifNode.name() + "/" + outer + "/Identity"), "Identity", "",
                        List.of(renamed.getOrDefault(inner, inner)), List.of(outer), Map.of()));
            }
        }
        for (Node inner : branch.nodes()) {
            inner.inputs().replaceAll(v -> renamed.getOrDefault(v, v));
            inner.outputs().replaceAll(v -> renamed.getOrDefault(v, v));
            out.add(inner);
        }
        out.addAll(identities);
        branch.valueInfos().stream().filter(v -> !renamed.containsKey(v.name())).forEach(graph.valueInfos()::add);
    }

    /** The condition's value when it is an initializer, a Constant, or Not / Identity / Cast of one. */
    private static Optional<Boolean> constantCondition(Graph graph, String value) {
        Tensor tensor = graph.initializers().get(value);
        if (tensor != null) {
            return single(tensor);
        }
        Optional<Node> producer = graph.producer(value);
        if (producer.isEmpty()) {
            return Optional.empty();
        }
        Node node = producer.get();
        return switch (node.opType()) {
            case "Constant" -> node.attribute("value") == null ? Optional.empty() : single(node.attribute("value").asTensor());
            case "Not" -> constantCondition(graph, node.input(0)).map(b -> !b);
            case "Identity", "Cast" -> constantCondition(graph, node.input(0));
            default -> Optional.empty();
        };
    }

    private static Optional<Boolean> single(Tensor tensor) {
        if (tensor.size() != 1) {
            return Optional.empty();
        }
        try {
            return Optional.of(tensor.toFloats()[0] != 0f);
        } catch (IllegalStateException e) {
            return Optional.empty(); // a string or half-precision condition: not folded
        }
    }
}
