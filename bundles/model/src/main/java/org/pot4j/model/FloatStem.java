package org.pot4j.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.Tensor;

/**
 * The Conv layers at the start of a model that ONNX Runtime's CPU integer kernels (MLAS, x86-64) run slower than its
 * float ones, so that they can stay in float: the "float stem".
 *
 * <p>MLAS runs a QLinearConv fast only through its symmetric VNNI kernels, and these need, for an ordinary
 * convolution ({@code group} 1), input channels that are a multiple of 4 and at least 16 output channels (a multiple of
 * 4); a depthwise convolution gets a kernel that processes 64 channels per pass. A 28×28 stem such as
 * mobilenet_v2_tiny's (1→16 3×3, 16-channel depthwise, 16→8 projection) misses all of these and runs about 3× slower
 * in int8 than in float (NCHWc); the rest of the network is faster in int8. Measured on an AVX-512 VNNI machine, ORT
 * 1.29, one thread, batch 64: INT8/FP32 latency 0.59 with every layer quantized, 0.44 with the stem in float (top-1
 * 0.8945 / 0.8946 against FP32 0.8939).
 *
 * <p>Only a chain that starts at a model input counts: every float↔int8 boundary costs a reorder, a
 * QuantizeLinear and a transpose, so one boundary after the stem pays and islands of float layers in the middle
 * usually do not. The chain follows the single reader of each tensor through Conv layers that match the rule and the
 * Relu/Clip that ONNX Runtime fuses into them, and stops at anything else (a branch, another op, a Conv that runs fast
 * in int8). Depends on the model only, so the same model gives the same stem.
 */
public final class FloatStem {
    /** Activations ONNX Runtime fuses into a float Conv and folds into the range of an int8 one. */
    private static final Set<String> FUSED_ACTIVATIONS = Set.of("Relu", "Clip");
    /** MLAS symmetric conv kernels: input channels aligned to 4, at least 16 output channels, aligned to 4. */
    static final int INPUT_CHANNEL_ALIGNMENT = 4;
    static final int MIN_OUTPUT_CHANNELS = 16;
    static final int OUTPUT_CHANNEL_ALIGNMENT = 4;
    /** Below this many channels a depthwise int8 conv measured slower than float (16: 2-3× slower; 48: faster). */
    static final int MIN_DEPTHWISE_CHANNELS = 32;

    private FloatStem() {
    }

    /** The stem's Conv nodes in model order, each with why its integer kernel is slow. Empty when there is none. */
    public static Map<String, String> find(Graph model) {
        GraphIndex index = new GraphIndex(model);
        Map<String, String> stem = new LinkedHashMap<>();
        for (ValueInfo input : model.inputs()) {
            if (model.isInitializer(input.name())) {
                continue;
            }
            String tensor = input.name();
            while (true) {
                List<Node> readers = index.consumers(tensor);
                if (readers.size() != 1 || readers.get(0).outputs().size() != 1
                        || !tensor.equals(readers.get(0).input(0))) {
                    break;
                }
                Node reader = readers.get(0);
                if (Layers.isConv(reader)) {
                    Optional<String> reason = integerKernelSlow(model, reader);
                    if (reason.isEmpty()) {
                        break;
                    }
                    stem.put(reader.name(), reason.get());
                } else if (!FUSED_ACTIVATIONS.contains(reader.opType())) {
                    break;
                }
                tensor = reader.outputs().get(0);
            }
        }
        return stem;
    }

    /** Why ONNX Runtime's int8 kernel for this 2-D Conv is slower than its float one; empty when it is not known to be. */
    static Optional<String> integerKernelSlow(Graph model, Node conv) {
        Tensor weight = Layers.floatWeight(model, conv);
        if (weight == null || weight.rank() != 4) {
            return Optional.empty();
        }
        long group = conv.intAttribute("group", 1);
        int outputChannels = Layers.outputChannels(conv, weight);
        int inputChannels = Layers.inputChannels(conv, weight);
        if (group == 1) {
            if (inputChannels % INPUT_CHANNEL_ALIGNMENT != 0) {
                return Optional.of(inputChannels + " input channels, not a multiple of " + INPUT_CHANNEL_ALIGNMENT
                        + ": no symmetric VNNI kernel in ONNX Runtime's CPU QLinearConv (im2col + generic int8 GEMM)");
            }
            if (outputChannels < MIN_OUTPUT_CHANNELS || outputChannels % OUTPUT_CHANNEL_ALIGNMENT != 0) {
                return Optional.of(outputChannels + " output channels (fewer than " + MIN_OUTPUT_CHANNELS
                        + " or not a multiple of " + OUTPUT_CHANNEL_ALIGNMENT + "): no symmetric VNNI kernel in ONNX"
                        + " Runtime's CPU QLinearConv (im2col + generic int8 GEMM)");
            }
            return Optional.empty();
        }
        boolean depthwise = group == inputChannels && outputChannels == inputChannels;
        if (depthwise && inputChannels < MIN_DEPTHWISE_CHANNELS) {
            return Optional.of("depthwise with " + inputChannels + " channels: ONNX Runtime's CPU int8 depthwise kernel"
                    + " works on 64 channels per pass and runs slower than float below " + MIN_DEPTHWISE_CHANNELS);
        }
        return Optional.empty();
    }
}
