package org.pot4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/**
 * Turns a model and a {@link QuantizationPlan} into a QDQ ONNX graph that ONNX Runtime fuses into
 * integer kernels (QLinearConv, QLinearMatMul, QGemm, ...).
 *
 * <ul>
 *   <li>Activation points: {@code QuantizeLinear → DequantizeLinear} on the tensor feeding the input.
 *       One pair per tensor and quantizer, shared by every consumer with the same quantizer; consumers
 *       not in the plan keep reading the float tensor.</li>
 *   <li>Weight points (float initializers): the weight is stored already quantized as an integer
 *       initializer followed by {@code DequantizeLinear} (with {@code axis} when per-channel):
 *       {@code q = clamp(rint(w / scale) + zeroPoint, levelLow, levelHigh)}. The float weight is dropped
 *       when nothing else reads it. A weight point on a computed value is written like an activation.</li>
 *   <li>Output points ({@link #isOutputPoint}: input index {@code -1 - k} names output {@code k} of the node):
 *       the node's output is renamed, {@code QuantizeLinear → DequantizeLinear} restores the original name,
 *       so a layer whose result is a graph output still ends in a quantizer (ONNX Runtime fuses QGemm and
 *       QLinearConv only when the output is quantized).</li>
 *   <li>Quantization-agnostic ops (MaxPool, Flatten, Reshape, Transpose, ...; {@link #AGNOSTIC}) between a
 *       layer and a quantized input: the same quantizer is also written on the agnostic op's input, up the
 *       chain, so ONNX Runtime sees {@code Conv → Relu → Q} (one QLinearConv) and runs the agnostic op on
 *       integers. Exact: these ops commute with a monotone rounding to the same grid.</li>
 *   <li>Scales are float, zero points int8/uint8 for up to 8 bits and int16/uint16 above (the
 *       signedness follows {@link Quantizer#signed()}); values come from {@link Quantizer#scales()} and
 *       {@link Quantizer#zeroPoints()}. With {@link Options#unsignedActivations()} (the default) an 8-bit
 *       signed activation grid is written as uint8 with the zero point shifted by 128, the same values
 *       (ONNX Runtime's CPU kernels take u8 activations; its own s8→u8 rewrite misses tensors read by
 *       several nodes). Weights stay int8. Biases stay float: ONNX Runtime quantizes them to int32
 *       (scale = input scale × weight scale) when it fuses QLinearConv / QGemm.</li>
 *   <li>The default-domain opset is raised to at least 13 (per-channel), to 21 when a 16-bit point exists.</li>
 * </ul>
 * Deterministic: names derive from tensor names, plan order decides the order of new nodes and
 * initializers, so the same model and plan give byte-identical ONNX.
 */
public final class QdqWriter {
    /** The lowest opset written: per-channel QuantizeLinear/DequantizeLinear need 13. */
    public static final long MIN_OPSET = 13;
    /** 16-bit QuantizeLinear/DequantizeLinear need opset 21. */
    public static final long OPSET_16_BIT = 21;

    /** Ops that pass a quantizer through unchanged (shape ops and MaxPool: exact on a quantized grid). */
    public static final Set<String> AGNOSTIC = Set.of("MaxPool", "Flatten", "Reshape", "Transpose", "Squeeze",
            "Unsqueeze", "Identity", "DepthToSpace", "SpaceToDepth");

    /**
     * How the plan is written. {@code unsignedActivations}: 8-bit signed activation grids as uint8 + 128 (for ONNX
     * Runtime on CPU; turn off for runtimes that want int8 with zero point 0, such as TensorRT).
     * {@code propagateThroughAgnosticOps}: repeat quantizers up through {@link #AGNOSTIC} ops.
     */
    public record Options(boolean unsignedActivations, boolean propagateThroughAgnosticOps) {
        public static Options defaults() {
            return new Options(true, true);
        }

        /** The plan as it is: signed activations stay int8, quantizers only where the plan puts them. */
        public static Options literal() {
            return new Options(false, false);
        }
    }

    private QdqWriter() {
    }

    /** Whether a point names an output of its node (input index {@code -1 - k} = output {@code k}). */
    public static boolean isOutputPoint(QuantizationPoint point) {
        return point.inputIndex() < 0;
    }

    /** The point that quantizes output {@code outputIndex} of a node. */
    public static QuantizationPoint outputPoint(String nodeName, int outputIndex, String tensor) {
        return new QuantizationPoint(nodeName, -1 - outputIndex, tensor, QuantizationPoint.Kind.ACTIVATION);
    }

    /** A new graph with the plan's quantization applied ({@link Options#defaults()}); the input is not modified. */
    public static Graph apply(Graph model, QuantizationPlan plan) {
        return apply(model, plan, Options.defaults());
    }

    /** A new graph with the plan's quantization applied; the input graph is not modified. */
    public static Graph apply(Graph model, QuantizationPlan plan, Options options) {
        Graph graph = model.copy();
        Graphs.sortTopologically(graph);
        UniqueNames names = new UniqueNames(graph);
        Map<String, Node> nodesByName = new LinkedHashMap<>();
        // nodes of If branches too: their Q/DQ go into the branch that holds them (ControlFlow)
        for (Node node : ControlFlow.withBranchNodes(graph).nodes()) {
            nodesByName.putIfAbsent(node.name(), node);
        }
        Map<Node, Graph> owners = ControlFlow.owners(graph);

        // group points by (tensor, effective quantizer) in plan order: one Q/DQ pair per group
        Map<String, Group> groups = new LinkedHashMap<>();
        List<OutputPoint> outputs = new ArrayList<>();
        boolean sixteenBit = false;
        for (Map.Entry<QuantizationPoint, Quantizer> entry : plan.quantizers().entrySet()) {
            QuantizationPoint point = entry.getKey();
            Quantizer quantizer = entry.getValue();
            Node node = nodesByName.get(point.nodeName());
            validate(point, quantizer, node);
            sixteenBit |= quantizer.bits() > 8;
            if (isOutputPoint(point)) {
                outputs.add(new OutputPoint(node, -1 - point.inputIndex(), quantizer));
                continue;
            }
            boolean asWeight = point.isWeight() && graph.isInitializer(point.tensor())
                    && graph.initializers().get(point.tensor()).type() == DataType.FLOAT;
            String key = (asWeight ? "W:" : "A:") + point.tensor() + "|" + parametersKey(quantizer);
            groups.computeIfAbsent(key, k -> new Group(point.tensor(), quantizer, asWeight))
                    .consumers.add(new Consumer(node, point.inputIndex()));
        }
        if (options.propagateThroughAgnosticOps()) {
            propagateThroughAgnosticOps(graph, groups);
        }

        Set<String> replacedWeights = new java.util.LinkedHashSet<>();
        for (Group whole : groups.values()) {
            for (Map.Entry<Graph, Group> part : byOwner(whole, owners).entrySet()) {
                Group group = part.getValue();
                String dequantized = group.weight ? writeWeight(part.getKey(), graph, group, names)
                        : writeActivation(part.getKey(), group, names, options);
                for (Consumer consumer : group.consumers) {
                    consumer.node.inputs().set(consumer.inputIndex, dequantized);
                }
            }
            if (whole.weight) {
                replacedWeights.add(whole.tensor);
            }
        }
        for (OutputPoint output : outputs) {
            writeOutput(owners.getOrDefault(output.node, graph), output, names, options);
        }
        if (sixteenBit) {
            splitBiasesBeyondInt32(graph, plan, names);
        }
        removeUnreadInitializers(graph, replacedWeights);
        Graphs.ensureOpset(graph, sixteenBit ? OPSET_16_BIT : MIN_OPSET);
        return graph;
    }

    /**
     * ONNX Runtime (graph optimization level BASIC and up) quantizes the float bias of a Conv / Gemm whose input and
     * weight are dequantized to int32 with scale = input scale × weight scale. With 16-bit grids that scale is so small
     * that the bias overflows int32 and saturates (cnn_relu on GNA's 16-bit weights: 0.935 → 0.872). Such a layer's
     * bias is written as an Add after it instead: the same float arithmetic, nothing for ORT to quantize.
     */
    private static void splitBiasesBeyondInt32(Graph graph, QuantizationPlan plan, UniqueNames names) {
        Map<String, Quantizer> inputs = new HashMap<>();
        Map<String, Quantizer> weights = new HashMap<>();
        plan.quantizers().forEach((point, quantizer) -> {
            if (point.inputIndex() == 0) inputs.put(point.nodeName(), quantizer);
            if (point.inputIndex() == 1) weights.put(point.nodeName(), quantizer);
        });
        for (Node node : new ArrayList<>(graph.nodes())) {
            boolean conv = node.opType().equals("Conv");
            if (!(conv || node.opType().equals("Gemm")) || node.inputs().size() < 3 || node.input(2).isEmpty()
                    || !inputs.containsKey(node.name()) || !weights.containsKey(node.name())) {
                continue;
            }
            Tensor bias = graph.initializers().get(node.input(2));
            if (bias == null || bias.type() != DataType.FLOAT || bias.rank() != 1) {
                continue;
            }
            float[] b = bias.floats();
            float inputScale = inputs.get(node.name()).scales()[0];
            float[] weightScales = weights.get(node.name()).scales();
            double beta = conv || node.attribute("beta") == null ? 1.0 : node.attribute("beta").asFloat();
            boolean overflows = false;
            for (int c = 0; c < b.length && !overflows; c++) {
                double scale = (double) inputScale * weightScales[weightScales.length == 1 ? 0 : c % weightScales.length];
                overflows = Math.abs(beta * b[c]) / scale > Integer.MAX_VALUE;
            }
            if (!overflows) {
                continue;
            }
            float[] scaled = new float[b.length];
            for (int c = 0; c < b.length; c++) {
                scaled[c] = (float) (beta * b[c]);
            }
            // the weight is now DequantizeLinear(integer initializer): its rank gives the Conv's spatial dimensions
            int weightRank = graph.producer(node.input(1)).map(dq -> graph.initializers().get(dq.input(0)))
                    .map(Tensor::rank).orElse(4);
            long[] shape = new long[conv ? weightRank - 1 : 1];
            Arrays.fill(shape, 1);
            shape[0] = b.length; // [C, 1, ...] along a Conv's channel axis, [M] for a Gemm's last axis
            String addend = names.next(node.input(2) + "_after");
            graph.initializers().put(addend, Tensor.ofFloats(shape, scaled));
            String output = node.output(0);
            String withoutBias = names.next(output + "_without_bias");
            node.inputs().set(2, "");
            node.outputs().set(0, withoutBias);
            graph.nodes().add(graph.nodes().indexOf(node) + 1, new Node(names.next(node.name() + "_bias"), "Add", "",
                    List.of(withoutBias, addend), List.of(output), Map.of()));
        }
    }

    private static void validate(QuantizationPoint point, Quantizer quantizer, Node node) {
        if (node == null) {
            throw new InvalidInputException("plan point " + point, point.nodeName(), "no node of the model has this name");
        }
        if (isOutputPoint(point)) {
            int output = -1 - point.inputIndex();
            if (output >= node.outputs().size() || !point.tensor().equals(node.outputs().get(output))) {
                throw new InvalidInputException("plan point " + point, point.tensor(), "output #" + output
                        + " of node '" + node.name() + "' is " + (output < node.outputs().size()
                        ? "'" + node.outputs().get(output) + "'" : "missing (" + node.outputs().size() + " outputs)"));
            }
        } else if (!point.tensor().equals(node.input(point.inputIndex()))) {
            throw new InvalidInputException("plan point " + point, point.tensor(), "input #" + point.inputIndex()
                    + " of node '" + node.name() + "' reads '" + node.input(point.inputIndex()) + "'");
        }
        if (!quantizer.hasRange()) {
            throw new InvalidInputException("plan point " + point, quantizer, "a quantizer with a range (run a range"
                    + " algorithm such as MinMaxQuantization first)");
        }
    }

    private static String parametersKey(Quantizer quantizer) {
        return quantizer.bits() + "," + quantizer.levelLow() + "," + quantizer.levelHigh() + "," + quantizer.axis()
                + "," + Arrays.toString(quantizer.scales()) + "," + Arrays.toString(quantizer.zeroPoints());
    }

    private static String writeActivation(Graph graph, Group group, UniqueNames names, Options options) {
        Quantizer quantizer = group.quantizer;
        String tensor = group.tensor;
        String scale = names.next(tensor + "_scale");
        String zeroPoint = names.next(tensor + "_zero_point");
        putActivationScaleAndZeroPoint(graph, quantizer, scale, zeroPoint, options);
        String quantized = names.next(tensor + "_quantized");
        String dequantized = names.next(tensor + "_dequantized");
        Map<String, Attribute> attributes = axisAttribute(quantizer);
        Node quantize = new Node(names.next(tensor + "_QuantizeLinear"), "QuantizeLinear", "",
                List.of(tensor, scale, zeroPoint), List.of(quantized), attributes);
        Node dequantize = new Node(names.next(tensor + "_DequantizeLinear"), "DequantizeLinear", "",
                List.of(quantized, scale, zeroPoint), List.of(dequantized), attributes);
        int position = firstConsumerPosition(graph, group);
        graph.nodes().add(position, dequantize);
        graph.nodes().add(position, quantize);
        return dequantized;
    }

    /** Output k of a node through Q → DQ: the node writes a new float name, DQ writes the original one. */
    private static void writeOutput(Graph graph, OutputPoint output, UniqueNames names, Options options) {
        String tensor = output.node.outputs().get(output.index);
        String raw = names.next(tensor + "_float");
        output.node.outputs().set(output.index, raw);
        String scale = names.next(tensor + "_scale");
        String zeroPoint = names.next(tensor + "_zero_point");
        putActivationScaleAndZeroPoint(graph, output.quantizer, scale, zeroPoint, options);
        String quantized = names.next(tensor + "_quantized");
        Map<String, Attribute> attributes = axisAttribute(output.quantizer);
        Node quantize = new Node(names.next(tensor + "_QuantizeLinear"), "QuantizeLinear", "",
                List.of(raw, scale, zeroPoint), List.of(quantized), attributes);
        Node dequantize = new Node(names.next(tensor + "_DequantizeLinear"), "DequantizeLinear", "",
                List.of(quantized, scale, zeroPoint), List.of(tensor), attributes);
        int position = graph.nodes().indexOf(output.node) + 1;
        graph.nodes().add(position, dequantize);
        graph.nodes().add(position, quantize);
    }

    /**
     * For every activation group whose tensor an agnostic op produces, the same quantizer on that op's data input,
     * up the chain. Stops at anything else (a layer, Relu/Clip that ONNX Runtime fuses into the layer, an Add).
     */
    private static void propagateThroughAgnosticOps(Graph graph, Map<String, Group> groups) {
        Map<String, Node> producers = new HashMap<>();
        for (Node node : graph.nodes()) {
            node.outputs().forEach(output -> producers.putIfAbsent(output, node));
        }
        List<Group> pending = new ArrayList<>();
        groups.values().stream().filter(g -> !g.weight).forEach(pending::add);
        for (int i = 0; i < pending.size(); i++) {
            Group group = pending.get(i);
            Node producer = producers.get(group.tensor);
            if (producer == null || !AGNOSTIC.contains(producer.opType()) || producer.inputs().isEmpty()) {
                continue;
            }
            String input = producer.input(0);
            if (input.isEmpty() || graph.isInitializer(input) || group.quantizer.perChannel()) {
                continue;
            }
            String key = "A:" + input + "|" + parametersKey(group.quantizer);
            Group upstream = groups.get(key);
            boolean added = upstream == null;
            if (added) {
                upstream = new Group(input, group.quantizer, false);
                groups.put(key, upstream);
                pending.add(upstream);
            }
            Consumer consumer = new Consumer(producer, 0);
            if (!upstream.consumers.contains(consumer)) {
                upstream.consumers.add(consumer);
            }
        }
    }

    /** The group's consumers split by the graph (model or If branch) holding them, in consumer order. */
    private static Map<Graph, Group> byOwner(Group group, Map<Node, Graph> owners) {
        Map<Graph, Group> parts = new java.util.IdentityHashMap<>();
        List<Graph> order = new ArrayList<>();
        for (Consumer consumer : group.consumers) {
            Graph owner = owners.get(consumer.node);
            if (!parts.containsKey(owner)) {
                parts.put(owner, new Group(group.tensor, group.quantizer, group.weight));
                order.add(owner);
            }
            parts.get(owner).consumers.add(consumer);
        }
        Map<Graph, Group> ordered = new LinkedHashMap<>();
        order.forEach(owner -> ordered.put(owner, parts.get(owner)));
        return ordered;
    }

    /** {@code graph} holds the consumers (the model or an If branch); {@code root} the weight when the branch does not. */
    private static String writeWeight(Graph graph, Graph root, Group group, UniqueNames names) {
        Quantizer quantizer = group.quantizer;
        String tensor = group.tensor;
        Tensor weight = graph.initializers().containsKey(tensor) ? graph.initializers().get(tensor)
                : root.initializers().get(tensor);
        float[] scales = quantizer.scales();
        long[] zeroPoints = quantizer.zeroPoints();
        int axis = quantizer.axis();
        long[] shape = weight.shape();
        int inner = 1;
        int channels = 1;
        if (quantizer.perChannel()) {
            if (axis >= shape.length || shape[axis] != scales.length) {
                throw new InvalidInputException("plan point " + group.consumers.get(0).describe(tensor),
                        "axis " + axis + " with " + scales.length + " channels",
                        "the weight has shape " + Arrays.toString(shape));
            }
            channels = scales.length;
            for (int d = axis + 1; d < shape.length; d++) {
                inner *= (int) shape[d];
            }
        } else if (scales.length != 1) {
            throw new InvalidInputException("plan point " + group.consumers.get(0).describe(tensor),
                    scales.length + " ranges", "one range for a per-tensor quantizer (axis -1)");
        }
        float[] values = weight.floats();
        long[] levels = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            int channel = quantizer.perChannel() ? (i / inner) % channels : 0;
            double q = Math.rint(values[i] / (double) scales[channel]) + zeroPoints[channel];
            levels[i] = (long) Math.max(quantizer.levelLow(), Math.min(quantizer.levelHigh(), q));
        }
        String quantizedName = names.next(tensor + "_quantized");
        graph.initializers().put(quantizedName, integerTensor(storageType(quantizer), shape, levels));
        String scale = names.next(tensor + "_scale");
        String zeroPoint = names.next(tensor + "_zero_point");
        putScaleAndZeroPoint(graph, quantizer, scale, zeroPoint);
        String dequantized = names.next(tensor + "_dequantized");
        Node dequantize = new Node(names.next(tensor + "_DequantizeLinear"), "DequantizeLinear", "",
                List.of(quantizedName, scale, zeroPoint), List.of(dequantized), axisAttribute(quantizer));
        graph.nodes().add(firstConsumerPosition(graph, group), dequantize);
        return dequantized;
    }

    private static void putScaleAndZeroPoint(Graph graph, Quantizer quantizer, String scaleName, String zeroPointName) {
        float[] scales = quantizer.scales();
        long[] zeroPoints = quantizer.zeroPoints();
        long[] shape = quantizer.perChannel() ? new long[] {scales.length} : new long[0];
        if (!quantizer.perChannel() && scales.length != 1) {
            throw new InvalidInputException("quantizer", quantizer, "one range for a per-tensor quantizer (axis -1)");
        }
        graph.initializers().put(scaleName, Tensor.ofFloats(shape, scales));
        graph.initializers().put(zeroPointName, integerTensor(storageType(quantizer), shape, zeroPoints));
    }

    /** Activation scale and zero point; an 8-bit signed grid as uint8 + 128 when the options ask for it. */
    private static void putActivationScaleAndZeroPoint(Graph graph, Quantizer quantizer, String scaleName,
                                                       String zeroPointName, Options options) {
        if (!(options.unsignedActivations() && quantizer.bits() <= 8 && quantizer.signed())) {
            putScaleAndZeroPoint(graph, quantizer, scaleName, zeroPointName);
            return;
        }
        float[] scales = quantizer.scales();
        long[] zeroPoints = quantizer.zeroPoints();
        long shift = 1L << (quantizer.bits() - 1);
        long[] shifted = new long[zeroPoints.length];
        for (int c = 0; c < shifted.length; c++) {
            shifted[c] = zeroPoints[c] + shift;
        }
        long[] shape = quantizer.perChannel() ? new long[] {scales.length} : new long[0];
        graph.initializers().put(scaleName, Tensor.ofFloats(shape, scales));
        graph.initializers().put(zeroPointName, integerTensor(DataType.UINT8, shape, shifted));
    }

    private static Map<String, Attribute> axisAttribute(Quantizer quantizer) {
        return quantizer.perChannel() ? Map.of("axis", Attribute.ofInt(quantizer.axis())) : Map.of();
    }

    /** The integer type holding the quantizer's levels. */
    static DataType storageType(Quantizer quantizer) {
        boolean signed = quantizer.signed();
        if (quantizer.bits() <= 8) {
            return signed ? DataType.INT8 : DataType.UINT8;
        }
        return signed ? DataType.INT16 : DataType.UINT16;
    }

    private static Tensor integerTensor(DataType type, long[] shape, long[] values) {
        Object data = switch (type) {
            case INT8, UINT8 -> {
                byte[] bytes = new byte[values.length];
                for (int i = 0; i < values.length; i++) bytes[i] = (byte) values[i];
                yield bytes;
            }
            case INT16, UINT16 -> {
                short[] shorts = new short[values.length];
                for (int i = 0; i < values.length; i++) shorts[i] = (short) values[i];
                yield shorts;
            }
            default -> throw new IllegalArgumentException("no integer storage for " + type);
        };
        return new Tensor(type, shape, data);
    }

    /** Where new Q/DQ nodes go: right before the first node that will read them (keeps topological order). */
    private static int firstConsumerPosition(Graph graph, Group group) {
        int position = graph.nodes().size();
        for (Consumer consumer : group.consumers) {
            int index = graph.nodes().indexOf(consumer.node);
            if (index >= 0 && index < position) {
                position = index;
            }
        }
        return position;
    }

    private static void removeUnreadInitializers(Graph graph, Set<String> candidates) {
        if (candidates.isEmpty()) {
            return;
        }
        Set<String> read = new HashSet<>();
        collectReads(graph, read);
        graph.outputs().forEach(output -> read.add(output.name()));
        for (String name : candidates) {
            if (!read.contains(name)) {
                graph.initializers().remove(name);
                graph.valueInfos().removeIf(info -> info.name().equals(name));
            }
        }
    }

    private static void collectReads(Graph graph, Set<String> read) {
        for (Node node : graph.nodes()) {
            read.addAll(node.inputs());
            for (Attribute attribute : node.attributes().values()) {
                if (attribute.type() == Attribute.Type.GRAPH) {
                    collectReads(attribute.asGraph(), read);
                } else if (attribute.type() == Attribute.Type.GRAPHS) {
                    attribute.asGraphs().forEach(g -> collectReads(g, read));
                }
            }
        }
    }

    private record Consumer(Node node, int inputIndex) {
        String describe(String tensor) {
            return node.name() + "#" + inputIndex + "(" + tensor + ")";
        }
    }

    private record OutputPoint(Node node, int index, Quantizer quantizer) {
    }

    private static final class Group {
        final String tensor;
        final Quantizer quantizer;
        final boolean weight;
        final List<Consumer> consumers = new ArrayList<>();

        Group(String tensor, Quantizer quantizer, boolean weight) {
            this.tensor = tensor;
            this.quantizer = quantizer;
            this.weight = weight;
        }
    }
}
