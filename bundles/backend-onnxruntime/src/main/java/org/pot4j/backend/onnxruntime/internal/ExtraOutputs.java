package org.pot4j.backend.onnxruntime.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.model.OnnxCodec;

/**
 * Serializes graphs for ONNX Runtime, exposing intermediate values as extra graph outputs.
 * ORT keeps a value that is a graph output alive through its fusions, so the values read are the
 * ones of the original graph even at optimization level ALL.
 */
final class ExtraOutputs {
    private ExtraOutputs() {
    }

    static byte[] addToModel(byte[] onnxModel, Set<String> extraOutputs) {
        Graph graph = OnnxCodec.read(onnxModel, "model bytes");
        return OnnxCodec.write(withOutputs(graph, extraOutputs));
    }

    /** The graph itself without extra outputs, else a copy (sharing the weights) with them appended. */
    static Graph withExtraOutputs(Graph graph, Set<String> extraOutputs) {
        return extraOutputs.isEmpty() ? graph : withOutputs(graph.copy(), extraOutputs);
    }

    /** Appends each requested value that is not already an output, in sorted order (deterministic bytes). */
    static Graph withOutputs(Graph graph, Set<String> extraOutputs) {
        Set<String> outputs = new HashSet<>();
        graph.outputs().forEach(output -> outputs.add(output.name()));
        Set<String> available = new HashSet<>();
        graph.inputs().forEach(input -> available.add(input.name()));
        for (Node node : graph.nodes()) {
            available.addAll(node.outputs());
        }
        List<String> missing = new ArrayList<>();
        for (String name : extraOutputs) {
            if (!available.contains(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            missing.sort(null);
            throw new InvalidInputException("extraOutputs", String.join(", ", missing), describeAvailable(graph));
        }
        extraOutputs.stream().sorted().filter(name -> !outputs.contains(name)).forEach(name ->
                // a known type and shape is passed on; an unknown one is left for ORT's type inference
                graph.outputs().add(graph.valueInfo(name).orElse(new ValueInfo(name, null, null))));
        return graph;
    }

    private static String describeAvailable(Graph graph) {
        List<String> names = new ArrayList<>();
        for (Node node : graph.nodes()) {
            for (String output : node.outputs()) {
                if (!output.isEmpty()) {
                    names.add(output);
                }
            }
        }
        String shown = names.size() <= 12 ? names.toString()
                : names.subList(0, 12) + " and " + (names.size() - 12) + " more";
        return "names of graph inputs or node outputs, e.g. " + shown;
    }
}
