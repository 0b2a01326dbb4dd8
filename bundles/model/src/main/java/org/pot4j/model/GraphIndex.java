package org.pot4j.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;

/**
 * Producer and consumer lookups over a graph, built once in one pass (the graph's own
 * {@code producer}/{@code consumers} scan every node per call). A snapshot: rebuild after editing the graph.
 */
public final class GraphIndex {
    private final Map<String, Node> producers = new LinkedHashMap<>();
    private final Map<String, List<Node>> consumers = new LinkedHashMap<>();
    private final Map<String, Node> nodesByName = new LinkedHashMap<>();

    public GraphIndex(Graph graph) {
        for (Node node : graph.nodes()) {
            if (!node.name().isEmpty()) {
                nodesByName.putIfAbsent(node.name(), node);
            }
            for (String output : node.outputs()) {
                if (!output.isEmpty()) {
                    producers.put(output, node);
                }
            }
            for (String input : node.inputs()) {
                if (!input.isEmpty()) {
                    List<Node> readers = consumers.computeIfAbsent(input, k -> new ArrayList<>());
                    if (readers.isEmpty() || readers.get(readers.size() - 1) != node) {
                        readers.add(node);
                    }
                }
            }
        }
    }

    /** The node computing {@code value}; empty for graph inputs, initializers and unknown names. */
    public Optional<Node> producer(String value) {
        return Optional.ofNullable(producers.get(value));
    }

    /** The nodes reading {@code value}, in graph order, each once. */
    public List<Node> consumers(String value) {
        return Collections.unmodifiableList(consumers.getOrDefault(value, List.of()));
    }

    public Optional<Node> node(String nodeName) {
        return Optional.ofNullable(nodesByName.get(nodeName));
    }
}
