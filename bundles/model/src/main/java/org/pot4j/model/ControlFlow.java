package org.pot4j.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;

/**
 * How pot4j quantizes layers inside {@code If} branches whose condition depends on the data (an If with a constant
 * condition is folded away first by {@link ModelPreparation}).
 *
 * <ul>
 *   <li>Candidates: {@link #withBranchNodes} is a view of the model whose node list also holds the nodes of every If
 *       branch (nested Ifs included), so a planner treats them like any other node. Loop and Scan bodies are not in
 *       it: their nodes read loop-carried values that exist only inside an iteration.</li>
 *   <li>Statistics: {@link #hoistBranchesForStatistics} rewrites the statistics copy of the model so that every If
 *       branch also runs unconditionally in the main graph, under its original value names, while the If itself
 *       (its branch values renamed) still computes the model's outputs. A branch's ranges are therefore measured on
 *       every calibration sample, as if each took that branch: wider than the samples routed there need, never
 *       narrower (no sample that reaches the branch is left out). A branch that cannot run on samples meant for the
 *       other one makes ONNX Runtime fail, which the statistics collector reports by name.</li>
 *   <li>Writing: {@link QdqWriter} puts QuantizeLinear / DequantizeLinear into the branch that holds the consumer;
 *       weights read from the outer scope become integer initializers of that branch.</li>
 * </ul>
 */
public final class ControlFlow {
    private ControlFlow() {
    }

    /** Whether the graph has an If node at any depth of If branches. */
    public static boolean hasIf(Graph graph) {
        for (Node node : graph.nodes()) {
            if (isIf(node)) return true;
        }
        return false;
    }

    /**
     * A view sharing the model's nodes, initializers and value lists, with every If branch's nodes after the If
     * (depth first) and the branches' initializers added; the model itself is not changed. The view's node list and
     * initializer map are its own: adding to them does not change the model.
     */
    public static Graph withBranchNodes(Graph graph) {
        if (!hasIf(graph)) {
            return graph;
        }
        Graph view = new Graph();
        view.setName(graph.name());
        view.inputs().addAll(graph.inputs());
        view.outputs().addAll(graph.outputs());
        view.valueInfos().addAll(graph.valueInfos());
        view.opsets().putAll(graph.opsets());
        view.setIrVersion(graph.irVersion());
        view.initializers().putAll(graph.initializers());
        addNodes(graph, view);
        return view;
    }

    private static void addNodes(Graph graph, Graph view) {
        for (Node node : graph.nodes()) {
            view.nodes().add(node);
            if (isIf(node)) {
                for (Graph branch : branches(node)) {
                    branch.initializers().forEach(view.initializers()::putIfAbsent);
                    view.valueInfos().addAll(branch.valueInfos());
                    addNodes(branch, view);
                }
            }
        }
    }

    /** Which graph (the model or an If branch, at any depth) holds each node; identity keys. */
    public static Map<Node, Graph> owners(Graph graph) {
        Map<Node, Graph> owners = new IdentityHashMap<>();
        collectOwners(graph, owners);
        return owners;
    }

    private static void collectOwners(Graph graph, Map<Node, Graph> owners) {
        for (Node node : graph.nodes()) {
            owners.put(node, graph);
            if (isIf(node)) {
                branches(node).forEach(branch -> collectOwners(branch, owners));
            }
        }
    }

    /**
     * Rewrites {@code copy} (a copy of the model made for statistics) so that the nodes of the If branches that
     * produce any of {@code tensors} also run in the main graph under their own names (see the class comment).
     * Returns whether anything was hoisted.
     */
    public static boolean hoistBranchesForStatistics(Graph copy, Set<String> tensors) {
        UniqueNames names = new UniqueNames(copy);
        boolean hoisted = false;
        List<Node> result = new ArrayList<>();
        for (Node node : copy.nodes()) {
            if (isIf(node) && producesAny(node, tensors)) {
                for (Graph branch : branches(node)) {
                    Graph hoistedBranch = branch.copy();
                    hoistedBranch.initializers().forEach(copy.initializers()::putIfAbsent);
                    hoistNested(hoistedBranch, copy, names, result);
                    renameInside(branch, names);
                }
                hoisted = true;
            }
            result.add(node);
        }
        copy.nodes().clear();
        copy.nodes().addAll(result);
        return hoisted;
    }

    /** Adds a branch's nodes to {@code out}; nested Ifs are hoisted the same way. */
    private static void hoistNested(Graph branch, Graph root, UniqueNames names, List<Node> out) {
        for (Node node : branch.nodes()) {
            if (isIf(node)) {
                for (Graph inner : branches(node)) {
                    Graph hoistedInner = inner.copy();
                    hoistedInner.initializers().forEach(root.initializers()::putIfAbsent);
                    hoistNested(hoistedInner, root, names, out);
                    renameInside(inner, names);
                }
            }
            out.add(node);
        }
    }

    /** Gives every value and node defined inside the branch a fresh name, so the hoisted copies keep the originals. */
    private static void renameInside(Graph branch, UniqueNames names) {
        Map<String, String> renamed = new HashMap<>();
        for (String initializer : new ArrayList<>(branch.initializers().keySet())) {
            renamed.put(initializer, names.next(initializer + "/in_branch"));
        }
        Map<String, org.pot4j.api.tensor.Tensor> initializers = new LinkedHashMap<>();
        branch.initializers().forEach((name, tensor) -> initializers.put(renamed.get(name), tensor));
        branch.initializers().clear();
        branch.initializers().putAll(initializers);
        rename(branch, renamed, names);
    }

    private static void rename(Graph graph, Map<String, String> renamed, UniqueNames names) {
        for (Node node : graph.nodes()) {
            node.inputs().replaceAll(v -> renamed.getOrDefault(v, v));
            for (int i = 0; i < node.outputs().size(); i++) {
                String output = node.output(i);
                if (!output.isEmpty()) {
                    String fresh = names.next(output + "/in_branch");
                    renamed.put(output, fresh);
                    node.outputs().set(i, fresh);
                }
            }
            node.setName(names.next(node.name() + "/in_branch"));
            for (Attribute attribute : node.attributes().values()) {
                if (attribute.type() == Attribute.Type.GRAPH) {
                    rename(attribute.asGraph(), renamed, names);
                }
            }
        }
        graph.outputs().replaceAll(o -> new org.pot4j.api.graph.ValueInfo(renamed.getOrDefault(o.name(), o.name()),
                o.type(), o.dims()));
        graph.valueInfos().replaceAll(o -> new org.pot4j.api.graph.ValueInfo(renamed.getOrDefault(o.name(), o.name()),
                o.type(), o.dims()));
    }

    private static boolean producesAny(Node ifNode, Set<String> tensors) {
        for (Graph branch : branches(ifNode)) {
            for (Node node : branch.nodes()) {
                if (node.outputs().stream().anyMatch(tensors::contains) || (isIf(node) && producesAny(node, tensors))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isIf(Node node) {
        return node.opType().equals("If") && (node.domain().isEmpty() || node.domain().equals("ai.onnx"));
    }

    private static List<Graph> branches(Node ifNode) {
        List<Graph> branches = new ArrayList<>();
        for (String name : List.of("then_branch", "else_branch")) {
            Attribute attribute = ifNode.attribute(name);
            if (attribute != null && attribute.type() == Attribute.Type.GRAPH) {
                branches.add(attribute.asGraph());
            }
        }
        return branches;
    }
}
