package org.pot4j.algorithm.accuracyaware.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;

/**
 * Quantized nodes whose quantizers are tied, as NNCF's accuracy control groups them: the inputs of a unified-scale
 * group (a Concat's inputs on CPU) share one scale, so every node with an activation point on one of those tensors
 * (the Concat, and any other layer reading one of its inputs) belongs to one group. Reverting one member alone would
 * leave the shared scale to the others and change them too; AccuracyAware reverts and ranks whole groups. A node in
 * no unified group is a group of its own.
 */
final class QuantizerGroups {
    private final Map<String, String> parent = new HashMap<>();
    private final List<String> order = new ArrayList<>();

    private QuantizerGroups() {
    }

    static QuantizerGroups of(QuantizationPlan plan) {
        QuantizerGroups groups = new QuantizerGroups();
        plan.quantizedNodes().forEach(node -> {
            groups.parent.put(node, node);
            groups.order.add(node);
        });
        Map<String, Integer> groupOfTensor = new HashMap<>();
        List<Set<String>> unified = plan.unifiedScaleGroups();
        for (int g = 0; g < unified.size(); g++) {
            for (String tensor : unified.get(g)) {
                groupOfTensor.put(tensor, g);
            }
        }
        Map<Integer, String> firstNodeOfGroup = new HashMap<>();
        for (QuantizationPoint point : plan.points(QuantizationPoint.Kind.ACTIVATION)) {
            Integer group = groupOfTensor.get(point.tensor());
            if (group == null || !groups.parent.containsKey(point.nodeName())) {
                continue;
            }
            String first = firstNodeOfGroup.putIfAbsent(group, point.nodeName());
            if (first != null) {
                groups.union(first, point.nodeName());
            }
        }
        return groups;
    }

    /** The quantized nodes tied with {@code node} (itself first, then plan order); just the node when untied. */
    List<String> membersOf(String node) {
        if (!parent.containsKey(node)) {
            return List.of(node);
        }
        String root = find(node);
        Set<String> members = new LinkedHashSet<>();
        members.add(node);
        for (String other : order) {
            if (find(other).equals(root)) {
                members.add(other);
            }
        }
        return List.copyOf(members);
    }

    /** {@code nodes} with every member of their groups, in order, each once. */
    List<String> expand(List<String> nodes) {
        Set<String> all = new LinkedHashSet<>();
        nodes.forEach(node -> all.addAll(membersOf(node)));
        return List.copyOf(all);
    }

    /** One node per group (the first in plan order) of {@code nodes}, keeping their order. */
    List<String> representatives(List<String> nodes) {
        Set<String> seenRoots = new LinkedHashSet<>();
        List<String> chosen = new ArrayList<>();
        for (String node : nodes) {
            if (seenRoots.add(parent.containsKey(node) ? find(node) : node)) {
                chosen.add(node);
            }
        }
        return chosen;
    }

    private String find(String node) {
        String root = node;
        while (!parent.get(root).equals(root)) {
            root = parent.get(root);
        }
        parent.put(node, root);
        return root;
    }

    private void union(String a, String b) {
        String ra = find(a);
        String rb = find(b);
        if (!ra.equals(rb)) {
            parent.put(rb, ra);
        }
    }
}
