package org.pot4j.algorithm.activationchannelalignment.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.model.Layers;

/**
 * POT's ActivationChannelAlignment: for a layer followed (through an activation) by another
 * layer, shift each output channel of the first layer by {@code s_c} (its bias loses s_c) and add
 * the second layer's response to that shift, {@code Σ W2[o, c, ·] · s_c}, to the second bias, so the
 * activation's channels sit where the quantization grid wants them:
 * <ul>
 * <li>through Relu / LeakyRelu: channels whose calibrated minimum m_c is above 0 (the activation is
 * the identity on them) move down by m_c, so their range starts at 0;</li>
 * <li>through Clip(lo, hi): channels inside [lo, hi] move down to start at lo;</li>
 * <li>with no activation (linear): every channel is centred, s_c = (min_c + max_c) / 2.</li>
 * </ul>
 * MaxPool, Identity, Dropout and a Flatten before a Gemm pass a constant shift through. The
 * second layer must be a Gemm or an unpadded Conv: with zero padding the border outputs would not
 * see the shift. The linear case is exact for every input; the activation cases are exact for
 * every input whose pre-activation stays above the calibrated minimum, in particular the
 * calibration set.
 */
@Component(service = QuantizationAlgorithm.class, property = QuantizationAlgorithm.PROPERTY + "=ActivationChannelAlignment")
public final class ActivationChannelAlignment implements QuantizationAlgorithm {
    static final Set<String> PASS_SHIFT = Set.of("MaxPool", "GlobalMaxPool", "Identity", "Dropout");

    static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.bounded("stat_subset_size", ParameterType.INTEGER, 300, 1.0, null,
                    "calibration samples for the channel ranges"),
            ParameterDescriptor.bounded("stat_batch_size", ParameterType.INTEGER, 1, 1.0, null, "accepted for POT compatibility"),
            ParameterDescriptor.optional("shuffle_data", ParameterType.BOOLEAN, false, "random calibration subset"),
            ParameterDescriptor.bounded("seed", ParameterType.INTEGER, 0, 0.0, null, "seed of the shuffled subset"));

    /** A pair: the activation between (null when linear) with its clip bounds, and the columns per channel. */
    record Pair(Node first, Node second, String activation, double low, double high, int channels, int spatial) {
    }

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    @Override
    public List<StatisticRequest> statistics(AlgorithmContext context) {
        List<StatisticRequest> requests = new ArrayList<>();
        for (Pair pair : pairs(context.model())) {
            for (StatisticRequest r : List.of(minimum(pair.first()), maximum(pair.first()))) {
                if (!requests.contains(r)) {
                    requests.add(r);
                }
            }
        }
        return requests;
    }

    static StatisticRequest minimum(Node first) {
        return new StatisticRequest(first.output(0), Reducer.MIN, Aggregator.MIN, 1, 0.0, 0.0);
    }

    static StatisticRequest maximum(Node first) {
        return new StatisticRequest(first.output(0), Reducer.MAX, Aggregator.MAX, 1, 0.0, 0.0);
    }

    @Override
    public void apply(AlgorithmContext context, Statistics statistics) {
        Parameters params = context.parameters().validate(PARAMETERS);
        Graph model = context.model().copy();
        List<Pair> pairs = pairs(model);
        Statistics ranges = statistics;
        List<StatisticRequest> needed = new ArrayList<>();
        pairs.forEach(p -> needed.addAll(List.of(minimum(p.first()), maximum(p.first()))));
        if (!needed.isEmpty() && (ranges == null || !needed.stream().allMatch(ranges::contains))) {
            int[] indices = context.calibrationIndices((int) params.integer("stat_subset_size", 300),
                    params.bool("shuffle_data", false), params.integer("seed", 0));
            ranges = context.collect(context.model(), null, indices, needed.stream().distinct().toList());
        }
        List<Map<String, Object>> aligned = new ArrayList<>();
        for (Pair pair : pairs) {
            context.checkCancelled();
            float[] min = ranges.get(minimum(pair.first()));
            float[] max = ranges.get(maximum(pair.first()));
            if (min.length != pair.channels()) {
                continue;
            }
            double[] shift = new double[pair.channels()];
            int moved = 0;
            for (int c = 0; c < shift.length; c++) {
                if (!Float.isFinite(min[c]) || !Float.isFinite(max[c])) {
                    continue;
                }
                if (pair.activation() == null) {
                    shift[c] = (min[c] + (double) max[c]) / 2;
                } else if (min[c] > pair.low() && max[c] <= pair.high()) {
                    shift[c] = min[c] - pair.low();
                }
                if (shift[c] != 0) {
                    moved++;
                }
            }
            if (moved == 0) {
                continue;
            }
            shiftFirst(model, pair, shift);
            compensateSecond(model, pair, shift);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("first", pair.first().name());
            entry.put("second", pair.second().name());
            entry.put("activation", pair.activation() == null ? "none" : pair.activation());
            entry.put("channels_shifted", moved);
            aligned.add(entry);
        }
        if (!aligned.isEmpty()) {
            context.setModel(model); // else the model stays the same instance: statistics taken on it still hold
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("aligned", aligned);
        report.put("candidate_pairs", pairs.size());
        context.report("activation_channel_alignment", report);
    }

    private static void shiftFirst(Graph model, Pair pair, double[] shift) {
        float[] bias = Layers.biasOrZeros(model, pair.first(), pair.channels());
        for (int c = 0; c < shift.length; c++) {
            bias[c] = (float) (bias[c] - shift[c] / Layers.beta(pair.first()));
        }
        Layers.replaceBias(model, pair.first(), bias, "_bias_aligned");
    }

    /** Adds W2 applied to the constant per-channel shift to the second layer's bias. */
    private static void compensateSecond(Graph model, Pair pair, double[] shift) {
        Node second = pair.second();
        Tensor weight = model.initializers().get(second.input(1));
        float[] w = weight.floats();
        long[] shape = weight.shape();
        int out = outputChannels(model, second);
        double[] response = new double[out];
        if (second.opType().equals("Conv")) {
            int perGroupIn = (int) shape[1];
            int outPerGroup = out / (int) second.intAttribute("group", 1);
            int kernel = w.length / (out * perGroupIn);
            for (int o = 0; o < out; o++) {
                int group = o / outPerGroup;
                for (int i = 0; i < perGroupIn; i++) {
                    double s = shift[group * perGroupIn + i];
                    for (int k = 0; k < kernel; k++) {
                        response[o] += w[(o * perGroupIn + i) * kernel + k] * s;
                    }
                }
            }
        } else {
            int columns = pair.channels() * pair.spatial();
            double alpha = Layers.alpha(second);
            for (int o = 0; o < out; o++) {
                for (int col = 0; col < columns; col++) {
                    double s = shift[col / pair.spatial()];
                    response[o] += alpha * w[Layers.matrixIndex(second, shape, col, o)] * s;
                }
            }
        }
        float[] bias = Layers.biasOrZeros(model, second, out);
        for (int o = 0; o < out; o++) {
            bias[o] = (float) (bias[o] + response[o] / Layers.beta(second));
        }
        Layers.replaceBias(model, second, bias, "_bias_aligned");
    }

    static List<Pair> pairs(Graph model) {
        List<Pair> pairs = new ArrayList<>();
        Set<String> outputs = new HashSet<>();
        model.outputs().forEach(o -> outputs.add(o.name()));
        for (Node first : model.nodes()) {
            if (!layer(model, first) || !ownBias(model, first, outputChannels(model, first))) {
                continue;
            }
            String value = first.output(0);
            String activation = null;
            double low = Double.NEGATIVE_INFINITY;
            double high = Double.POSITIVE_INFINITY;
            boolean flattened = false;
            Node second = null;
            while (true) {
                List<Node> readers = model.consumers(value);
                if (outputs.contains(value) || readers.size() != 1 || !readers.get(0).input(0).equals(value)) {
                    break;
                }
                Node next = readers.get(0);
                if (layer(model, next)) {
                    second = next;
                    break;
                }
                if (flattened) {
                    break;
                }
                if (activation == null && (next.opType().equals("Relu") || next.opType().equals("LeakyRelu"))) {
                    activation = next.name();
                    low = 0;
                } else if (activation == null && next.opType().equals("Clip")) {
                    double[] bounds = clipBounds(model, next);
                    if (bounds == null) {
                        break;
                    }
                    activation = next.name();
                    low = bounds[0];
                    high = bounds[1];
                } else if (next.opType().equals("Flatten") && next.intAttribute("axis", 1) == 1) {
                    flattened = true;
                } else if (!PASS_SHIFT.contains(next.opType()) || next.outputs().stream().skip(1).anyMatch(o -> !o.isEmpty())) {
                    break;
                }
                value = next.output(0);
            }
            if (second == null || (flattened && !second.opType().equals("Gemm")) || padded(second)
                    || !ownBias(model, second, outputChannels(model, second))) {
                continue;
            }
            int channels = outputChannels(model, first);
            int inputs = inputChannels(model, second);
            if (inputs % channels != 0 || (!flattened && inputs != channels) || Double.isInfinite(low)
                    && activation != null) {
                continue;
            }
            pairs.add(new Pair(first, second, activation, low, high, channels, inputs / channels));
        }
        return pairs;
    }

    static boolean layer(Graph model, Node node) {
        return Layers.convOrGemmWeight(model, node) != null && model.consumers(node.input(1)).size() == 1;
    }

    /** A bias that only this node reads with one value per output channel, or none (one is added). */
    private static boolean ownBias(Graph model, Node node, int channels) {
        String name = node.input(2);
        if (name.isEmpty()) {
            return true;
        }
        Tensor bias = model.initializers().get(name);
        return bias != null && bias.type() == DataType.FLOAT && bias.size() == channels
                && model.consumers(name).size() == 1;
    }

    private static boolean padded(Node node) {
        if (!node.opType().equals("Conv")) {
            return false;
        }
        var autoPad = node.attribute("auto_pad");
        if (autoPad != null && !autoPad.asString().equals("NOTSET") && !autoPad.asString().equals("VALID")) {
            return true;
        }
        var pads = node.attribute("pads");
        if (pads != null) {
            for (long p : pads.asInts()) {
                if (p != 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Clip bounds from attributes (opset < 11) or constant inputs; null when not constant. */
    private static double[] clipBounds(Graph model, Node clip) {
        double[] bounds = {Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY};
        if (clip.attribute("min") != null) {
            bounds[0] = clip.attribute("min").asFloat();
        }
        if (clip.attribute("max") != null) {
            bounds[1] = clip.attribute("max").asFloat();
        }
        for (int i = 1; i <= 2; i++) {
            String name = clip.input(i);
            if (name.isEmpty()) {
                continue;
            }
            Tensor constant = model.initializers().get(name);
            if (constant == null) {
                Node producer = model.producer(name).orElse(null);
                if (producer == null || !producer.opType().equals("Constant") || producer.attribute("value") == null) {
                    return null;
                }
                constant = producer.attribute("value").asTensor();
            }
            if (constant.size() != 1) {
                return null;
            }
            bounds[i - 1] = constant.toFloats()[0];
        }
        return bounds;
    }

    static int outputChannels(Graph model, Node node) {
        return Layers.outputChannels(node, model.initializers().get(node.input(1)));
    }

    static int inputChannels(Graph model, Node node) {
        return Layers.inputChannels(node, model.initializers().get(node.input(1)));
    }
}
