package org.pot4j.model;

import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/**
 * Weight and bias access of the linear layers algorithms rewrite: Conv (weight [O, I/group, k...]),
 * Gemm (Y = alpha·A·B' + beta·C; weight [N, K] with transB, else [K, N]) and MatMul (weight [..., K, N]).
 * Initializers may be shared with other copies of the model, so changed values always go into a new tensor.
 */
public final class Layers {
    private Layers() {
    }

    /** A default-domain Conv. */
    public static boolean isConv(Node node) {
        return node.opType().equals("Conv") && node.domain().isEmpty();
    }

    /** A Gemm whose weight is its second input (transA = 0). */
    public static boolean isGemm(Node node) {
        return node.opType().equals("Gemm") && node.intAttribute("transA", 0) == 0;
    }

    /** The FLOAT initializer at input 1 of any node, else null. */
    public static Tensor floatWeight(Graph model, Node node) {
        Tensor weight = model.initializers().get(node.input(1));
        return weight != null && weight.type() == DataType.FLOAT ? weight : null;
    }

    /** The FLOAT initializer weight of a Conv or Gemm ({@link #isConv}, {@link #isGemm}), else null. */
    public static Tensor convOrGemmWeight(Graph model, Node node) {
        return isConv(node) || isGemm(node) ? floatWeight(model, node) : null;
    }

    /** A Gemm that stores its weight transposed, [N, K]. */
    public static boolean transB(Node node) {
        return node.opType().equals("Gemm") && node.intAttribute("transB", 0) == 1;
    }

    /** Output-channel axis of a weight: Conv 0, ConvTranspose 1, Gemm by transB, MatMul the last. */
    public static int outputChannelAxis(Node node, Tensor weight) {
        return switch (node.opType()) {
            case "ConvTranspose" -> 1;
            case "Gemm" -> transB(node) ? 0 : 1;
            case "MatMul" -> weight.rank() - 1;
            default -> 0;
        };
    }

    /** Output channels of a Conv, Gemm or MatMul weight. */
    public static int outputChannels(Node node, Tensor weight) {
        return (int) weight.dim(outputChannelAxis(node, weight));
    }

    /** Input channels a Conv, Gemm or MatMul reads: for Conv all groups together. */
    public static int inputChannels(Node node, Tensor weight) {
        return switch (node.opType()) {
            case "Conv" -> (int) (weight.dim(1) * node.intAttribute("group", 1));
            case "Gemm" -> (int) (transB(node) ? weight.dim(1) : weight.dim(0));
            default -> (int) weight.dim(weight.rank() - 2);
        };
    }

    /** Index of W[row, column] (row = input channel, column = output channel) of a 2-D Gemm/MatMul weight. */
    public static int matrixIndex(Node node, long[] shape, int row, int column) {
        return transB(node) ? column * (int) shape[1] + row : row * (int) shape[1] + column;
    }

    /** Gemm's alpha (1 when absent and for other ops). */
    public static double alpha(Node node) {
        return node.opType().equals("Gemm") && node.attribute("alpha") != null ? node.attribute("alpha").asFloat() : 1.0;
    }

    /** Gemm's beta, the factor on the bias (1 when absent and for other ops). */
    public static double beta(Node node) {
        return node.opType().equals("Gemm") && node.attribute("beta") != null ? node.attribute("beta").asFloat() : 1.0;
    }

    /** Whether input 2 (the bias) is an initializer. */
    public static boolean hasBias(Graph model, Node node) {
        String name = node.input(2);
        return !name.isEmpty() && model.isInitializer(name);
    }

    /** A copy of the bias values, or {@code channels} zeros when the node has no bias initializer. */
    public static float[] biasOrZeros(Graph model, Node node, int channels) {
        return hasBias(model, node) ? model.initializers().get(node.input(2)).toFloats() : new float[channels];
    }

    /**
     * Sets the node's bias to {@code values}, in place when the node alone reads its bias initializer;
     * otherwise (no bias yet, a computed one, or one shared with other nodes) under a new initializer
     * named after the node plus {@code suffix}. Keeps the old bias shape. Returns the bias name.
     */
    public static String replaceBias(Graph model, Node node, float[] values, String suffix) {
        String name = node.input(2);
        Tensor old = hasBias(model, node) ? model.initializers().get(name) : null;
        long[] shape = old != null ? old.shape() : new long[] {values.length};
        if (old == null || model.consumers(name).size() != 1) {
            name = (node.name().isEmpty() ? node.output(0) : node.name()) + suffix;
            while (model.isInitializer(name) || model.valueInfo(name).isPresent()) {
                name = name + "_";
            }
            while (node.inputs().size() < 3) {
                node.inputs().add("");
            }
            node.inputs().set(2, name);
        }
        model.initializers().put(name, Tensor.ofFloats(shape, values));
        return name;
    }

    /** A writable copy of a FLOAT initializer's values. */
    public static float[] floatsCopy(Graph model, String name) {
        return model.initializers().get(name).floats().clone();
    }

    /** Replaces an initializer's values by a new FLOAT tensor of the same shape. */
    public static void replaceFloats(Graph model, String name, float[] values) {
        model.initializers().put(name, Tensor.ofFloats(model.initializers().get(name).shape(), values));
    }
}
