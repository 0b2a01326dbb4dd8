package org.pot4j.model;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;

/**
 * Fresh value and node names for a graph: {@code next("conv1_scale")} returns the base name when
 * no value, node or initializer of the graph (or its subgraphs) uses it yet, else the first free
 * {@code base_1}, {@code base_2}, ... Deterministic for the same graph and call sequence.
 */
public final class UniqueNames {
    private final Set<String> taken = new HashSet<>();

    public UniqueNames(Graph graph) {
        collect(graph);
    }

    private void collect(Graph graph) {
        taken.addAll(graph.initializers().keySet());
        for (List<ValueInfo> infos : List.of(graph.inputs(), graph.outputs(), graph.valueInfos())) {
            infos.forEach(info -> taken.add(info.name()));
        }
        for (Node node : graph.nodes()) {
            taken.add(node.name());
            taken.addAll(node.inputs());
            taken.addAll(node.outputs());
            for (Attribute attribute : node.attributes().values()) {
                if (attribute.type() == Attribute.Type.GRAPH) {
                    collect(attribute.asGraph());
                } else if (attribute.type() == Attribute.Type.GRAPHS) {
                    attribute.asGraphs().forEach(this::collect);
                }
            }
        }
    }

    /** A name not used yet, now reserved. */
    public String next(String base) {
        String name = base;
        for (int i = 1; !taken.add(name); i++) {
            name = base + "_" + i;
        }
        return name;
    }

    /** Whether the name is used in the graph or was handed out. */
    public boolean isTaken(String name) {
        return taken.contains(name);
    }
}
