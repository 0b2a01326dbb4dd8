package org.pot4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/**
 * Raises a model's default-domain opset (opset 7 and up) to the one QDQ needs, rewriting every node whose
 * signature or meaning changed on the way so that the model computes the same values. Subgraphs (If / Loop /
 * Scan bodies) are rewritten too. Ranks come from {@link TensorTypes}; where a rewrite needs a fact inference
 * cannot give, the upgrade fails naming the node, before any data is read.
 *
 * <ul>
 *   <li>opset 9: BatchNormalization's {@code spatial} attribute is dropped (1 was the only meaning kept).</li>
 *   <li>opset 10: Slice's starts/ends/axes and TopK's k become inputs; Upsample becomes Resize
 *       (asymmetric coordinates, nearest = floor, which is what Upsample computed).</li>
 *   <li>opset 11: Clip's min/max and Pad's pads/value become inputs; Resize-10 gets Resize-11's explicit
 *       attributes for Resize-10's behaviour; Scatter becomes ScatterElements.</li>
 *   <li>opset 12: Dropout's ratio is dropped (the identity at inference).</li>
 *   <li>opset 13: Squeeze/Unsqueeze/ReduceSum axes and Split's split become inputs; Softmax / LogSoftmax /
 *       Hardmax, which before 13 normalised the input flattened to 2-D at {@code axis}, keep that meaning: on the
 *       last axis the attribute becomes -1, otherwise the node is wrapped in Flatten → op(axis -1) → Reshape.</li>
 *   <li>opset 18: the other Reduce ops' axes become inputs.</li>
 * </ul>
 */
public final class OpsetUpgrade {
    private static final Set<String> AXES_TO_INPUT_AT_13 = Set.of("Squeeze", "Unsqueeze", "ReduceSum");
    private static final Set<String> AXES_TO_INPUT_AT_18 = Set.of("ReduceMax", "ReduceMean", "ReduceMin",
            "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");
    private static final Set<String> SOFTMAX_FAMILY = Set.of("Softmax", "LogSoftmax", "Hardmax");
    /** The oldest opset whose changes up to 21 are all handled here. */
    public static final long OLDEST = 7;

    private final long from;
    private final long to;
    private final UniqueNames names;
    private final TensorTypes types;

    private OpsetUpgrade(Graph root, long from, long to) {
        this.from = from;
        this.to = to;
        this.names = new UniqueNames(root);
        this.types = TensorTypes.infer(root);
    }

    /** The model's default-domain opset (0 when it imports none). */
    public static long opsetOf(Graph graph) {
        return graph.opsets().getOrDefault("", graph.opsets().getOrDefault("ai.onnx", 0L));
    }

    /**
     * Raises the default-domain opset import to at least {@code minimum} (see the class comment) and ir_version to
     * what that opset needs (7 for 13, 10 for 21). Throws MODEL_ERROR naming the node whose meaning would change.
     * Returns whether anything changed.
     */
    public static boolean ensure(Graph graph, long minimum) {
        long current = opsetOf(graph);
        if (current >= minimum) {
            return false;
        }
        if (current < OLDEST) {
            throw new Pot4jException(OnnxCodec.ERROR_CODE, "the model's opset " + current + " is older than "
                    + OLDEST + ", the oldest pot4j raises to " + minimum + "; export the model with opset " + minimum
                    + " or newer");
        }
        new OpsetUpgrade(graph, current, minimum).upgradeGraph(graph);
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

    private void upgradeGraph(Graph graph) {
        List<Node> upgraded = new ArrayList<>();
        for (Node node : graph.nodes()) {
            for (Attribute attribute : node.attributes().values()) {
                if (attribute.type() == Attribute.Type.GRAPH) {
                    upgradeGraph(attribute.asGraph());
                } else if (attribute.type() == Attribute.Type.GRAPHS) {
                    attribute.asGraphs().forEach(this::upgradeGraph);
                }
            }
            if (node.domain().isEmpty() || node.domain().equals("ai.onnx")) {
                upgradeNode(graph, node, upgraded);
            } else {
                upgraded.add(node);
            }
        }
        graph.nodes().clear();
        graph.nodes().addAll(upgraded);
    }

    private boolean crosses(long version) {
        return from < version && to >= version;
    }

    /** Rewrites one node; adds it (and any node it becomes) to {@code out}. */
    private void upgradeNode(Graph graph, Node node, List<Node> out) {
        String op = node.opType();
        if (crosses(9) && op.equals("BatchNormalization")) {
            Attribute spatial = node.attributes().remove("spatial");
            if (spatial != null && spatial.asInt() != 1) {
                throw cannotUpgrade(node, "spatial = 0 (per-element statistics) has no equivalent from opset 9");
            }
        }
        if (crosses(9) && op.equals("Scan")) {
            throw cannotUpgrade(node, "Scan-8's batch axis has no equivalent from opset 9");
        }
        if (crosses(10) && op.equals("Slice")) {
            attributesToInputs(graph, node, List.of("starts", "ends", "axes"));
        }
        if (crosses(10) && op.equals("TopK")) {
            Attribute k = node.attributes().remove("k");
            if (k != null) {
                node.inputs().add(1, constant(graph, node, "k", Tensor.ofLongs(new long[] {1}, new long[] {k.asInt()})));
            }
        }
        if (op.equals("Upsample")) {
            upsampleToResize(graph, node);
        } else if (crosses(11) && op.equals("Resize")) {
            // Resize-10: inputs (X, scales), Upsample's coordinates; Resize-11 reads (X, roi, scales) and needs them named
            node.inputs().add(1, "");
            resizeAsUpsample(node);
        }
        if (crosses(11) && op.equals("Clip")) {
            Attribute min = node.attributes().remove("min");
            Attribute max = node.attributes().remove("max");
            node.inputs().add(min == null ? "" : constant(graph, node, "min", scalar(min.asFloat())));
            node.inputs().add(max == null ? "" : constant(graph, node, "max", scalar(max.asFloat())));
            trimEmptyInputs(node);
        }
        if (crosses(11) && op.equals("Pad")) {
            Attribute pads = node.attributes().remove("pads");
            Attribute value = node.attributes().remove("value");
            if (pads == null) {
                throw cannotUpgrade(node, "it has no pads attribute");
            }
            long[] p = pads.asInts();
            node.inputs().add(constant(graph, node, "pads", Tensor.ofLongs(new long[] {p.length}, p)));
            if (value != null && value.asFloat() != 0f) {
                node.inputs().add(constant(graph, node, "value", scalar(value.asFloat())));
            }
        }
        if (crosses(11) && op.equals("Scatter")) {
            node.setOpType("ScatterElements");
        }
        if (crosses(12) && op.equals("Dropout")) {
            node.attributes().remove("ratio"); // inference: Dropout is the identity whatever the ratio
        }
        if (crosses(13)) {
            if (AXES_TO_INPUT_AT_13.contains(op)) {
                attributesToInputs(graph, node, List.of("axes"));
            } else if (op.equals("Split")) {
                attributesToInputs(graph, node, List.of("split"));
            } else if (SOFTMAX_FAMILY.contains(op) && upgradeSoftmax(graph, node, out)) {
                return;
            }
        }
        if (crosses(18) && AXES_TO_INPUT_AT_18.contains(op)) {
            attributesToInputs(graph, node, List.of("axes"));
        }
        if (crosses(20) && op.equals("GridSample")) {
            throw cannotUpgrade(node, "its mode names changed in opset 20");
        }
        out.add(node);
    }

    /** Upsample-7 (scales attribute) or -9 (scales input) as Resize-13 with Upsample's coordinate mapping. */
    private void upsampleToResize(Graph graph, Node node) {
        Attribute scales = node.attributes().remove("scales");
        String scalesInput = node.input(1);
        if (scales != null) {
            float[] values = scales.asFloats();
            scalesInput = constant(graph, node, "scales", Tensor.ofFloats(new long[] {values.length}, values));
        }
        if (scalesInput.isEmpty()) {
            throw cannotUpgrade(node, "it has no scales");
        }
        String x = node.input(0);
        node.inputs().clear();
        node.inputs().addAll(List.of(x, "", scalesInput));
        node.setOpType("Resize");
        resizeAsUpsample(node);
    }

    private static void resizeAsUpsample(Node node) {
        String mode = node.attribute("mode") == null ? "nearest" : node.attribute("mode").asString();
        if (mode.equals("bilinear")) {
            mode = "linear"; // Upsample-7 accepted both spellings
        }
        node.attributes().put("mode", Attribute.ofString(mode));
        node.attributes().put("coordinate_transformation_mode", Attribute.ofString("asymmetric"));
        if (mode.equals("nearest")) {
            node.attributes().put("nearest_mode", Attribute.ofString("floor"));
        }
    }

    /**
     * Before opset 13 the op normalised the input flattened to [d0·…·d(axis-1), d(axis)·…] ; from 13 it works on
     * one axis. Returns whether the node was replaced by a Flatten → op → Reshape chain (already added to out).
     */
    private boolean upgradeSoftmax(Graph graph, Node node, List<Node> out) {
        long axis = node.intAttribute("axis", 1);
        Integer rank = types.rank(node.input(0)).orElse(null);
        if (axis == -1 || (rank != null && (axis < 0 ? axis + rank : axis) == rank - 1)) {
            node.attributes().put("axis", Attribute.ofInt(-1));
            return false;
        }
        String base = node.name().isEmpty() ? node.output(0) : node.name();
        String input = node.input(0);
        String flat = names.next(base + "/flat");
        String shape = names.next(base + "/shape");
        String normalised = names.next(base + "/flat_out");
        out.add(new Node(names.next(base + "/Flatten"), "Flatten", "", List.of(input), List.of(flat),
                Map.of("axis", Attribute.ofInt(axis))));
        out.add(new Node(names.next(base + "/Shape"), "Shape", "", List.of(input), List.of(shape), Map.of()));
        node.inputs().set(0, flat);
        String output = node.output(0);
        node.outputs().set(0, normalised);
        node.attributes().put("axis", Attribute.ofInt(-1));
        out.add(node);
        out.add(new Node(names.next(base + "/Reshape"), "Reshape", "", List.of(normalised, shape), List.of(output),
                Map.of()));
        return true;
    }

    /** Moves INTS attributes to inputs 1, 2, ... in the given order (an absent one becomes an empty input). */
    private void attributesToInputs(Graph graph, Node node, List<String> attributeNames) {
        List<String> added = new ArrayList<>();
        for (String attributeName : attributeNames) {
            Attribute attribute = node.attributes().remove(attributeName);
            if (attribute == null) {
                added.add("");
                continue;
            }
            long[] values = attribute.asInts();
            added.add(constant(graph, node, attributeName, Tensor.ofLongs(new long[] {values.length}, values)));
        }
        while (!added.isEmpty() && added.get(added.size() - 1).isEmpty()) {
            added.remove(added.size() - 1);
        }
        if (added.isEmpty()) {
            return;
        }
        while (node.inputs().size() > 1 && node.inputs().get(node.inputs().size() - 1).isEmpty()) {
            node.inputs().remove(node.inputs().size() - 1);
        }
        node.inputs().addAll(1, added);
    }

    private String constant(Graph graph, Node node, String what, Tensor value) {
        String name = names.next((node.name().isEmpty() ? node.output(0) : node.name()) + "_" + what);
        graph.initializers().put(name, value);
        return name;
    }

    private static Tensor scalar(float value) {
        return new Tensor(DataType.FLOAT, new long[0], new float[] {value});
    }

    private static void trimEmptyInputs(Node node) {
        while (node.inputs().size() > 1 && node.inputs().get(node.inputs().size() - 1).isEmpty()) {
            node.inputs().remove(node.inputs().size() - 1);
        }
    }

    private Pot4jException cannotUpgrade(Node node, String why) {
        return new Pot4jException(OnnxCodec.ERROR_CODE, "cannot raise the model's opset from " + from + " to " + to
                + ": node '" + node.name() + "' (" + node.opType() + ") would change meaning, " + why
                + "; export the model with opset " + to + " or newer");
    }
}
