package org.pot4j.algorithm.minmax.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.pot4j.api.device.RuntimeOp;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.model.QdqWriter;

/**
 * Keeps the quantized nodes that the device's runtime turns into integer kernels (the device config's
 * {@link RuntimeOp}s: ONNX Runtime's CPU QDQ fusions) and leaves the others in float, with the reason: a
 * DequantizeLinear → op → QuantizeLinear group that the runtime does not fuse runs the op in float between two
 * conversions, slower than the float model.
 *
 * <p>A candidate stays when (repeated until nothing changes, since leaving one node in float can break its neighbours'
 * groups): the runtime has an integer kernel for its op type; if that kernel needs its output quantized
 * (QLinearConv, QLinearAdd ...), every reader of the output (through a Relu/Clip the runtime folds into the quantizer,
 * and through data-movement ops it runs on integers) reads it quantized — ONNX Runtime fuses a node only when its
 * output goes to QuantizeLinear alone; if the kernel pays only inside an integer chain (element-wise, pooling,
 * Concat), every quantized input comes from a kept node. Deterministic: graph order.
 */
final class RuntimePlacement {
    /** How deep a chain of data-movement ops is followed (a Reshape → Transpose → Reshape chain is 3). */
    private static final int MAX_CHAIN = 16;

    private final Graph graph;
    private final Map<String, RuntimeOp> runtime;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    /** Node name → the tensors of its activation points by input index; weight points only mark the node. */
    private final Map<String, Map<Integer, String>> activationPoints;
    private final Set<String> withWeights;
    private final Set<String> ignored;
    private final Set<String> kept = new HashSet<>();
    private final Map<String, String> floatNodes = new LinkedHashMap<>();
    private final Map<String, String> kernels = new LinkedHashMap<>();
    private final Set<String> outputQuantized = new java.util.LinkedHashSet<>();
    /**
     * Candidates that went float because of an ignored node after them: the one an ignored layer reads (directly or
     * through data movement), and those whose float reader or source is such a node.
     */
    private final Set<String> floatForIgnored = new HashSet<>();

    /**
     * The candidates left in float (node → why), the kernel expected for each kept one (node → kernel), and the kept
     * layers whose output a float node reads: they get an output quantizer, as a layer producing a model output does.
     */
    record Result(Map<String, String> floatNodes, Map<String, String> kernels, Set<String> outputQuantized) {
    }

    private RuntimePlacement(Graph graph, Map<String, RuntimeOp> runtime, Map<String, Map<Integer, String>> activationPoints,
                             Set<String> withWeights, Set<String> ignored) {
        this.ignored = ignored;
        this.graph = graph;
        this.runtime = runtime;
        this.activationPoints = activationPoints;
        this.withWeights = withWeights;
        for (Node node : graph.nodes()) {
            nodes.putIfAbsent(node.name(), node);
        }
    }

    /**
     * Of the candidates (node → activation input index → tensor; nodes with weight points in {@code withWeights}),
     * those the runtime would run in float, in graph order, each with why, and the kernel of the others. Both empty
     * when the device describes no runtime.
     */
    static Result resolve(Graph graph, Map<String, RuntimeOp> runtime,
                          Map<String, Map<Integer, String>> activationPoints, Set<String> withWeights,
                          Set<String> ignored) {
        if (runtime.isEmpty()) {
            return new Result(Map.of(), Map.of(), Set.of());
        }
        RuntimePlacement placement = new RuntimePlacement(graph, runtime, activationPoints, withWeights, ignored);
        placement.run();
        placement.outputQuantized.retainAll(placement.kept);
        return new Result(placement.floatNodes, placement.kernels, placement.outputQuantized);
    }

    /**
     * The quantized nodes (node → its quantized input tensors) in regions: two nodes share one when a tensor passes
     * from one to the other directly or through data-movement ops and fused activations. Graph order.
     */
    static List<List<String>> regions(Graph graph, Map<String, RuntimeOp> runtime, Map<String, List<String>> inputs) {
        Map<String, String> parent = new LinkedHashMap<>();
        inputs.keySet().forEach(node -> parent.put(node, node));
        RuntimePlacement walker = new RuntimePlacement(graph, runtime, Map.of(), Set.of(), Set.of());
        for (Map.Entry<String, List<String>> entry : inputs.entrySet()) {
            for (String tensor : entry.getValue()) {
                String source = walker.sourceNode(tensor, 0);
                if (source != null && parent.containsKey(source)) {
                    parent.put(root(parent, source), root(parent, entry.getKey()));
                }
            }
        }
        Map<String, List<String>> byRoot = new LinkedHashMap<>();
        for (String node : walker.nodes.keySet()) {
            if (parent.containsKey(node)) {
                byRoot.computeIfAbsent(root(parent, node), k -> new ArrayList<>()).add(node);
            }
        }
        return List.copyOf(byRoot.values());
    }

    private static String root(Map<String, String> parent, String node) {
        String current = node;
        while (!parent.get(current).equals(current)) {
            current = parent.get(current);
        }
        return current;
    }

    /** The node a tensor comes from, through data-movement ops and fused activations; null for inputs and constants. */
    private String sourceNode(String tensor, int depth) {
        Optional<Node> producer = graph.producer(tensor);
        if (producer.isEmpty()) {
            return null;
        }
        Node node = producer.get();
        if (depth < MAX_CHAIN && !node.inputs().isEmpty()
                && (role(node) == RuntimeOp.Role.FUSED_ACTIVATION || movesInt8(node))) {
            return sourceNode(node.input(0), depth + 1);
        }
        return node.name();
    }

    private void run() {
        for (String name : nodes.keySet()) {
            if (activationPoints.containsKey(name) || withWeights.contains(name)) {
                kept.add(name);
            }
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Node node : nodes.values()) {
                if (!kept.contains(node.name())) {
                    continue;
                }
                Optional<String> why = whyFloat(node);
                if (why.isPresent()) {
                    kept.remove(node.name());
                    floatNodes.put(node.name(), why.get());
                    changed = true;
                }
            }
        }
        for (Node node : nodes.values()) {
            if (kept.contains(node.name()) && !node.outputs().isEmpty()) {
                RuntimeOp op = runtime.get(node.opType());
                boolean outputQuantized = op.floatOutputKernel().isEmpty()
                        || floatReader(node.outputs().get(0), withWeights.contains(node.name()), 0).isEmpty();
                kernels.put(node.name(), outputQuantized ? op.kernel() : op.floatOutputKernel());
            }
        }
    }

    private Optional<String> whyFloat(Node node) {
        RuntimeOp op = runtime.get(node.opType());
        if (op == null || op.role() != RuntimeOp.Role.INTEGER_KERNEL) {
            return Optional.of("placement: the runtime has no integer kernel for " + node.opType());
        }
        Map<Integer, String> inputs = activationPoints.getOrDefault(node.name(), Map.of());
        if (inputs.isEmpty()) {
            return Optional.of("placement: no activation input to quantize, " + op.kernel() + " needs one");
        }
        if (op.quantizedInputProducers()) {
            for (String tensor : inputs.values()) {
                Optional<String> floatSource = floatSource(tensor, 0);
                if (floatSource.isPresent()) {
                    if (floatForIgnored(floatSource.get())) {
                        floatForIgnored.add(node.name());
                    }
                    return Optional.of("placement: input " + tensor + " comes from " + floatSource.get()
                            + "; a QuantizeLinear in front of " + op.kernel() + " costs more than it saves");
                }
            }
        }
        if (op.needsQuantizedOutput() && !node.outputs().isEmpty()) {
            Optional<String> floatReader = floatReader(node.outputs().get(0), withWeights.contains(node.name()), 0);
            if (floatReader.isPresent() && isIgnoredKernel(floatReader.get())) {
                // an ignored layer (an ignored scope, AccuracyAware's revert) reads float values: a quantizer on this
                // output would round them to 8 bits all the same (an outlier channel would still be flattened)
                floatForIgnored.add(node.name());
                outputQuantized.remove(node.name());
                return Optional.of("placement: its output is read by the ignored " + floatReader.get() + ", which reads "
                        + "it in float, and " + op.kernel() + " needs its output quantized");
            }
            if (floatReader.isPresent() && withWeights.contains(node.name()) && floatForIgnored(floatReader.get())) {
                // the reader is float because of an ignored node after it: this layer keeps its integer kernel with a
                // quantizer on its output, which the reader dequantizes. Making it float instead would turn every
                // layer before it float too. A layer whose reader is float by its op type (Hardswish's HardSigmoid,
                // Resize) goes float, taking its chain along: an 8-bit tensor in front of such an op costs fidelity
                // for no speed (mobilenet_v3_small kept 41 layers int8 that way: cosine 0.9975 -> 0.9285, and slower;
                // benchmarks/zoo/README.md).
                outputQuantized.add(node.name());
                return Optional.empty();
            }
            outputQuantized.remove(node.name());
            if (floatReader.isPresent()) {
                if (floatForIgnored(floatReader.get())) {
                    floatForIgnored.add(node.name());
                }
                return Optional.of("placement: its output is read in float by " + floatReader.get() + ", and "
                        + op.kernel() + " needs its output quantized (else the runtime runs " + node.opType()
                        + " in float between DequantizeLinear and QuantizeLinear)");
            }
        }
        return Optional.empty();
    }

    /**
     * Whether a float reader ("OpType name") or source ("float OpType name") is float because of an ignored node: it
     * is an ignored node the runtime has an integer kernel for, or it went float because of one (the layer an ignored
     * head reads, a pooling before it, a residual Add after a reverted Conv).
     */
    private boolean floatForIgnored(String floatNeighbour) {
        String described = floatNeighbour.startsWith("float ") ? floatNeighbour.substring(6) : floatNeighbour;
        int space = described.indexOf(' ');
        return space >= 0 && floatForIgnored.contains(described.substring(space + 1)) || isIgnoredKernel(described);
    }

    /** Whether a float neighbour ("OpType name") is an ignored node the runtime has an integer kernel for. */
    private boolean isIgnoredKernel(String described) {
        int space = described.indexOf(' ');
        if (space < 0) {
            return false;
        }
        RuntimeOp op = runtime.get(described.substring(0, space));
        return ignored.contains(described.substring(space + 1)) && op != null
                && op.role() == RuntimeOp.Role.INTEGER_KERNEL;
    }

    /** A reader of {@code tensor} that does not read it quantized (described), or empty when all do. */
    private Optional<String> floatReader(String tensor, boolean outputPointAllowed, int depth) {
        if (depth > MAX_CHAIN) {
            return Optional.of("a chain of more than " + MAX_CHAIN + " data-movement ops");
        }
        List<Node> readers = graph.consumers(tensor);
        boolean graphOutput = graph.outputs().stream().anyMatch(o -> o.name().equals(tensor));
        if (graphOutput) {
            // the planner writes an output quantizer after a quantized layer whose result is a model output
            return outputPointAllowed && readers.isEmpty() ? Optional.empty() : Optional.of("the model output " + tensor);
        }
        if (readers.isEmpty()) {
            // read by nothing in this graph: a subgraph (If, Loop) reads it, in float
            return Optional.of("a subgraph or nothing (" + tensor + " has no reader in this graph)");
        }
        if (readers.size() == 1 && role(readers.get(0)) == RuntimeOp.Role.FUSED_ACTIVATION
                && tensor.equals(readers.get(0).input(0)) && readers.get(0).outputs().size() == 1) {
            return floatReader(readers.get(0).outputs().get(0), outputPointAllowed, depth + 1);
        }
        for (Node reader : readers) {
            if (kept.contains(reader.name()) && readsQuantized(reader, tensor)) {
                continue;
            }
            if (movesInt8(reader) && onlyDataInput(reader, tensor)) {
                for (String output : reader.outputs()) {
                    Optional<String> inner = floatReader(output, false, depth + 1);
                    if (inner.isPresent()) {
                        return inner;
                    }
                }
                continue;
            }
            return Optional.of(reader.opType() + " " + reader.name());
        }
        return Optional.empty();
    }

    /** Whether every input of {@code reader} that reads {@code tensor} is one of its activation points. */
    private boolean readsQuantized(Node reader, String tensor) {
        Map<Integer, String> points = activationPoints.getOrDefault(reader.name(), Map.of());
        for (int i = 0; i < reader.inputs().size(); i++) {
            if (tensor.equals(reader.input(i)) && !points.containsKey(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean onlyDataInput(Node reader, String tensor) {
        for (int i = 1; i < reader.inputs().size(); i++) {
            if (tensor.equals(reader.input(i))) {
                return false;
            }
        }
        return tensor.equals(reader.input(0));
    }

    /** The float producer {@code tensor} comes from (described), or empty when a kept node produces it. */
    private Optional<String> floatSource(String tensor, int depth) {
        Optional<Node> producer = graph.producer(tensor);
        if (producer.isEmpty()) {
            return Optional.of(graph.isInitializer(tensor) ? "the constant " + tensor : "the model input " + tensor);
        }
        Node node = producer.get();
        if (kept.contains(node.name())) {
            return Optional.empty();
        }
        if (depth < MAX_CHAIN && !node.inputs().isEmpty()
                && (role(node) == RuntimeOp.Role.FUSED_ACTIVATION || movesInt8(node))) {
            return floatSource(node.input(0), depth + 1);
        }
        return Optional.of("float " + node.opType() + " " + node.name());
    }

    /**
     * A data-movement op the runtime runs on integers and the QDQ writer repeats quantizers through (both are needed:
     * the writer puts the same quantizer in front of it, the runtime then drops the pair around it).
     */
    private boolean movesInt8(Node node) {
        return role(node) == RuntimeOp.Role.INT8_DATA_MOVEMENT && QdqWriter.AGNOSTIC.contains(node.opType());
    }

    private RuntimeOp.Role role(Node node) {
        RuntimeOp op = runtime.get(node.opType());
        return op == null ? null : op.role();
    }
}
