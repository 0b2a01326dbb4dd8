package org.pot4j.algorithm.crosslayerequalization.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.model.Layers;

/**
 * Finds pairs of consecutive linear layers (Conv or Gemm with FLOAT initializer weights) joined
 * only by ops that commute with a positive per-channel scale: Relu, LeakyRelu, PRelu with a
 * scalar slope, MaxPool/AveragePool and their global forms, Identity, Dropout, and a Flatten in
 * front of a Gemm (channel i becomes the Gemm's input columns i*H*W .. (i+1)*H*W-1). Every value
 * on the way must have exactly one reader and must not be a graph output, otherwise rescaling
 * would change what another reader sees.
 */
final class LayerPairs {
    /** Ops f with f(s·x) = s·f(x) per channel for s > 0. */
    static final Set<String> HOMOGENEOUS = Set.of("Relu", "LeakyRelu", "MaxPool", "AveragePool", "GlobalAveragePool",
            "GlobalMaxPool", "Identity", "Dropout");

    private LayerPairs() {
    }

    /**
     * Two layers and what joins them. {@code spatial} is the number of second-layer input columns
     * per channel (H*W after a Flatten, else 1); {@code activation} is the last channel-first value
     * before the second layer (the tensor whose per-channel range the equalization changes).
     */
    record Pair(Node first, Node second, int channels, int spatial, String activation, List<String> between) {
    }

    /** A pair found, or the reason a layer's output could not be paired. */
    record Search(List<Pair> pairs, List<String> skipped) {
    }

    static Search find(Graph model) {
        List<Pair> pairs = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Set<String> outputs = new java.util.HashSet<>();
        model.outputs().forEach(o -> outputs.add(o.name()));
        for (Node first : model.nodes()) {
            if (Layers.convOrGemmWeight(model, first) == null) {
                continue;
            }
            String value = first.output(0);
            String activation = value;
            boolean flattened = false;
            List<String> between = new ArrayList<>();
            String reason = null;
            Node second = null;
            while (reason == null && second == null) {
                List<Node> readers = model.consumers(value);
                if (outputs.contains(value) || readers.size() != 1) {
                    reason = value + " is a graph output or has " + readers.size() + " readers";
                    break;
                }
                Node next = readers.get(0);
                if (!next.input(0).equals(value) || next.inputs().subList(1, next.inputs().size()).contains(value)) {
                    reason = next.name() + " reads " + value + " in another place than its data input";
                } else if (Layers.convOrGemmWeight(model, next) != null) {
                    second = next;
                } else if (flattened) {
                    reason = "Flatten is followed by " + next.opType() + ", not a Gemm";
                } else if (HOMOGENEOUS.contains(next.opType()) || scalarPRelu(model, next)) {
                    if (next.outputs().size() > 1 && next.outputs().subList(1, next.outputs().size()).stream()
                            .anyMatch(o -> !o.isEmpty())) {
                        reason = next.name() + " has a second output";
                    }
                    between.add(next.name());
                    value = next.output(0);
                    activation = value;
                } else if (next.opType().equals("Flatten") && next.intAttribute("axis", 1) == 1) {
                    between.add(next.name());
                    value = next.output(0);
                    flattened = true;
                } else {
                    reason = next.name() + " (" + next.opType() + ") does not commute with a per-channel scale"
                            + (next.opType().equals("Clip") ? " (Clip/Relu6 clips at one fixed bound)" : "");
                }
            }
            if (second == null) {
                skipped.add(first.name() + ": " + reason);
                continue;
            }
            if (flattened && !second.opType().equals("Gemm")) {
                skipped.add(first.name() + ": Flatten is followed by " + second.opType());
                continue;
            }
            int channels = outputChannels(model, first);
            int inputs = inputChannels(model, second);
            if (channels <= 0 || inputs <= 0 || inputs % channels != 0 || (!flattened && inputs != channels)) {
                skipped.add(first.name() + " -> " + second.name() + ": " + channels + " output channels do not match "
                        + inputs + " inputs");
                continue;
            }
            if (sharedOrNonFloat(model, first) || sharedOrNonFloat(model, second)) {
                skipped.add(first.name() + " -> " + second.name() + ": weight or bias shared with another node or not FLOAT");
                continue;
            }
            pairs.add(new Pair(first, second, channels, inputs / channels, activation, between));
        }
        return new Search(pairs, skipped);
    }

    private static int outputChannels(Graph model, Node node) {
        return Layers.outputChannels(node, Layers.convOrGemmWeight(model, node));
    }

    private static int inputChannels(Graph model, Node node) {
        return Layers.inputChannels(node, Layers.convOrGemmWeight(model, node));
    }

    private static boolean scalarPRelu(Graph model, Node node) {
        if (!node.opType().equals("PRelu")) {
            return false;
        }
        Tensor slope = model.initializers().get(node.input(1));
        return slope != null && slope.size() == 1;
    }

    private static boolean sharedOrNonFloat(Graph model, Node node) {
        for (int i = 1; i < Math.min(3, node.inputs().size()); i++) {
            String name = node.input(i);
            if (name.isEmpty()) {
                continue;
            }
            Tensor tensor = model.initializers().get(name);
            if (tensor == null || tensor.type() != DataType.FLOAT || model.consumers(name).size() != 1) {
                return true;
            }
        }
        return false;
    }
}
