package org.pot4j.api.graph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pot4j.api.tensor.Tensor;

/**
 * A model graph: nodes in topological order, initializers (constant tensors by name), typed
 * inputs and outputs, and the model-level fields ONNX carries (opsets, metadata, producer).
 * Mutable: algorithms edit a working copy ({@link #copy()}). Tensors are shared between copies,
 * so replace an initializer rather than writing into its array.
 */
public final class Graph {
    private String name = "";
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Tensor> initializers = new LinkedHashMap<>();
    private final List<ValueInfo> inputs = new ArrayList<>();
    private final List<ValueInfo> outputs = new ArrayList<>();
    private final List<ValueInfo> valueInfos = new ArrayList<>();
    private final Map<String, Long> opsets = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private long irVersion = 8;
    private String producerName = "";
    private String producerVersion = "";
    private String docString = "";

    public String name() { return name; }
    public void setName(String name) { this.name = name; }

    /** Mutable node list, in topological order. */
    public List<Node> nodes() { return nodes; }

    /** Mutable map of initializers by value name. */
    public Map<String, Tensor> initializers() { return initializers; }

    /** Mutable list of graph inputs (initializers are not listed here). */
    public List<ValueInfo> inputs() { return inputs; }

    /** Mutable list of graph outputs. */
    public List<ValueInfo> outputs() { return outputs; }

    /** Mutable list of known types of intermediate values. */
    public List<ValueInfo> valueInfos() { return valueInfos; }

    /** Mutable map of opset imports: domain ("" for the default ONNX domain) to version. */
    public Map<String, Long> opsets() { return opsets; }

    /** Mutable model metadata (ONNX metadata_props). */
    public Map<String, String> metadata() { return metadata; }

    public long irVersion() { return irVersion; }
    public void setIrVersion(long irVersion) { this.irVersion = irVersion; }
    public String producerName() { return producerName; }
    public void setProducerName(String producerName) { this.producerName = producerName; }
    public String producerVersion() { return producerVersion; }
    public void setProducerVersion(String producerVersion) { this.producerVersion = producerVersion; }
    public String docString() { return docString; }
    public void setDocString(String docString) { this.docString = docString; }

    /** The default-domain opset version, 0 when not imported. */
    public long opset() { return opsets.getOrDefault("", 0L); }

    public Optional<Node> node(String nodeName) {
        return nodes.stream().filter(n -> n.name().equals(nodeName)).findFirst();
    }

    /** The node whose output is {@code valueName}; empty for graph inputs and initializers. */
    public Optional<Node> producer(String valueName) {
        for (Node node : nodes) {
            if (node.outputs().contains(valueName)) {
                return Optional.of(node);
            }
        }
        return Optional.empty();
    }

    /** The nodes that read {@code valueName}, in graph order. */
    public List<Node> consumers(String valueName) {
        List<Node> result = new ArrayList<>();
        for (Node node : nodes) {
            if (node.inputs().contains(valueName)) {
                result.add(node);
            }
        }
        return result;
    }

    public boolean isInitializer(String valueName) {
        return initializers.containsKey(valueName);
    }

    public Optional<ValueInfo> valueInfo(String valueName) {
        for (List<ValueInfo> list : List.of(inputs, outputs, valueInfos)) {
            for (ValueInfo info : list) {
                if (info.name().equals(valueName)) {
                    return Optional.of(info);
                }
            }
        }
        return Optional.empty();
    }

    /** A structural copy: new node and collection objects, shared (immutable by convention) tensors. */
    public Graph copy() {
        Graph copy = new Graph();
        copy.name = name;
        nodes.forEach(node -> copy.nodes.add(node.copy()));
        copy.initializers.putAll(initializers);
        copy.inputs.addAll(inputs);
        copy.outputs.addAll(outputs);
        copy.valueInfos.addAll(valueInfos);
        copy.opsets.putAll(opsets);
        copy.metadata.putAll(metadata);
        copy.irVersion = irVersion;
        copy.producerName = producerName;
        copy.producerVersion = producerVersion;
        copy.docString = docString;
        return copy;
    }
}
