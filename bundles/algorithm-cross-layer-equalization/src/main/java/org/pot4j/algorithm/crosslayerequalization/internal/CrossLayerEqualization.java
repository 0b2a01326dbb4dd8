package org.pot4j.algorithm.crosslayerequalization.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.pot4j.algorithm.crosslayerequalization.internal.LayerPairs.Pair;
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
import org.pot4j.api.tensor.Tensor;
import org.pot4j.model.Layers;

/**
 * Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization", as in Qualcomm AIMET):
 * for two layers joined by positively homogeneous ops, {@code f(W2 · g(W1 x + b1))} is unchanged
 * when output channel i of W1 and b1 is divided by {@code s_i > 0} and input channel i of W2 is
 * multiplied by it. Choosing {@code s_i = sqrt(r1_i / r2_i)} gives both channels the range
 * {@code sqrt(r1_i · r2_i)}, where r1_i is max |W1| over output channel i and r2_i max |W2| over
 * input channel i. Chains of three or more layers are swept until the scales settle.
 * <p>
 * With {@code range: "activations"} the first side of the balance is the calibrated range of the
 * activation between the layers (mean over samples of its per-channel max |x|), so per-tensor
 * activation quantization sees channels of similar size; the activation scales by exactly
 * {@code 1/s_i}, so one statistics pass serves every sweep.
 * <p>
 * With {@code threshold} above 0 (DefaultQuantization's {@code cross_layer_equalization: auto}) only pairs whose
 * first side is lopsided are equalized: the spread of its per-channel ranges (largest over median) must exceed the
 * threshold. Balanced pairs are left exactly as they were, since equalizing them moves range into the second
 * layer's weights for no gain; when no pair qualifies the model is not replaced at all.
 * <p>
 * Run it before MinMaxQuantization: it changes weights, so ranges planned earlier would be stale.
 */
@Component(service = QuantizationAlgorithm.class, property = QuantizationAlgorithm.PROPERTY + "=CrossLayerEqualization")
public final class CrossLayerEqualization implements QuantizationAlgorithm {
    static final String WEIGHTS = "weights";
    static final String ACTIVATIONS = "activations";

    static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.choice("range", WEIGHTS, List.of(WEIGHTS, ACTIVATIONS),
                    "balance W1's output-channel ranges (data-free) or the calibrated activation ranges against W2's"),
            ParameterDescriptor.bounded("threshold", ParameterType.NUMBER, 0.0, 0.0, null,
                    "equalize only pairs whose first-side channel ranges spread (max / median) more than this; 0: all"),
            ParameterDescriptor.bounded("iterations", ParameterType.INTEGER, 20, 1.0, 1000.0,
                    "at most this many sweeps over all layer pairs"),
            ParameterDescriptor.bounded("tolerance", ParameterType.NUMBER, 1e-3, 0.0, null,
                    "stop when every scale of a sweep is within this of 1"),
            ParameterDescriptor.bounded("stat_subset_size", ParameterType.INTEGER, 300, 1.0, null,
                    "calibration samples (range: activations)"),
            ParameterDescriptor.bounded("stat_batch_size", ParameterType.INTEGER, 1, 1.0, null, "accepted for POT compatibility"),
            ParameterDescriptor.optional("shuffle_data", ParameterType.BOOLEAN, false, "random calibration subset"),
            ParameterDescriptor.bounded("seed", ParameterType.INTEGER, 0, 0.0, null, "seed of the shuffled subset"));

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    @Override
    public List<StatisticRequest> statistics(AlgorithmContext context) {
        Parameters params = context.parameters().validate(PARAMETERS);
        if (!params.string("range", WEIGHTS).equals(ACTIVATIONS)) {
            return List.of();
        }
        return LayerPairs.find(context.model()).pairs().stream().map(p -> activationRange(p.activation())).distinct()
                .toList();
    }

    static StatisticRequest activationRange(String tensor) {
        return new StatisticRequest(tensor, Reducer.ABS_MAX, Aggregator.MEAN, 1, 0.0, 0.0);
    }

    @Override
    public void apply(AlgorithmContext context, Statistics statistics) {
        Parameters params = context.parameters().validate(PARAMETERS);
        boolean useActivations = params.string("range", WEIGHTS).equals(ACTIVATIONS);
        int iterations = (int) params.integer("iterations", 20);
        double tolerance = params.number("tolerance", 1e-3);
        double threshold = params.number("threshold", 0.0);
        Graph model = context.model().copy();
        LayerPairs.Search search = LayerPairs.find(model);
        List<Pair> pairs = search.pairs();

        Map<String, float[]> activation = new LinkedHashMap<>();
        if (useActivations && !pairs.isEmpty()) {
            List<StatisticRequest> needed = pairs.stream().map(p -> activationRange(p.activation())).distinct().toList();
            Statistics ranges = statistics;
            if (ranges == null || !needed.stream().allMatch(ranges::contains)) {
                int[] indices = context.calibrationIndices((int) params.integer("stat_subset_size", 300),
                        params.bool("shuffle_data", false), params.integer("seed", 0));
                ranges = context.collect(context.model(), null, indices, needed);
            }
            for (Pair pair : pairs) {
                activation.put(pair.activation(), ranges.get(activationRange(pair.activation())).clone());
            }
        }

        // working copies of every weight and bias touched, written back once at the end
        Map<String, ChannelWeights> weights = new LinkedHashMap<>();
        Map<String, float[]> biases = new LinkedHashMap<>();
        for (Pair pair : pairs) {
            for (Node node : List.of(pair.first(), pair.second())) {
                Tensor w = model.initializers().get(node.input(1));
                weights.computeIfAbsent(node.name(), n -> new ChannelWeights(node, w.shape(), w.floats().clone()));
            }
            String bias = pair.first().input(2);
            if (!bias.isEmpty()) {
                biases.put(pair.first().name(), model.initializers().get(bias).toFloats());
            }
        }
        List<Map<String, Object>> skipped = new ArrayList<>();
        List<Pair> usable = new ArrayList<>();
        Map<Pair, Double> spreads = new LinkedHashMap<>();
        for (Pair pair : pairs) {
            float[] bias = biases.get(pair.first().name());
            if (bias != null && bias.length != pair.channels()) {
                skipped.add(Map.of("pair", pair.first().name() + " -> " + pair.second().name(), "reason",
                        "bias has " + bias.length + " values for " + pair.channels() + " channels"));
            } else if (useActivations && activation.get(pair.activation()).length != pair.channels()) {
                skipped.add(Map.of("pair", pair.first().name() + " -> " + pair.second().name(), "reason",
                        pair.activation() + " has no per-channel range for " + pair.channels() + " channels"));
            } else {
                double spread = spread(useActivations ? activation.get(pair.activation())
                        : weights.get(pair.first().name()).outputRanges(pair.channels()));
                spreads.put(pair, spread);
                if (threshold > 0 && !(spread > threshold)) {
                    skipped.add(Map.of("pair", pair.first().name() + " -> " + pair.second().name(), "reason",
                            String.format(java.util.Locale.ROOT, "channel ranges spread %.1fx, not above threshold %.1fx",
                                    spread, threshold)));
                } else {
                    usable.add(pair);
                }
            }
        }

        Map<String, double[]> total = new LinkedHashMap<>();
        int sweeps = 0;
        double lastChange = 0;
        for (; sweeps < iterations; sweeps++) {
            context.checkCancelled();
            double change = 0;
            for (Pair pair : usable) {
                ChannelWeights first = weights.get(pair.first().name());
                ChannelWeights second = weights.get(pair.second().name());
                float[] r1 = useActivations ? activation.get(pair.activation()) : first.outputRanges(pair.channels());
                float[] r2 = second.inputRanges(pair.channels(), pair.spatial());
                double[] scale = new double[pair.channels()];
                for (int c = 0; c < scale.length; c++) {
                    scale[c] = r1[c] > 0 && r2[c] > 0 && Float.isFinite(r1[c]) && Float.isFinite(r2[c])
                            ? Math.sqrt(r1[c] / (double) r2[c]) : 1.0;
                    change = Math.max(change, Math.abs(Math.log(scale[c])));
                }
                first.divideOutputs(scale);
                second.multiplyInputs(scale, pair.spatial());
                float[] bias = biases.get(pair.first().name());
                if (bias != null) {
                    for (int c = 0; c < scale.length; c++) {
                        bias[c] = (float) (bias[c] / scale[c]);
                    }
                }
                if (useActivations) {
                    for (int c = 0; c < scale.length; c++) {
                        r1[c] = (float) (r1[c] / scale[c]);
                    }
                }
                double[] accumulated = total.computeIfAbsent(pair.first().name() + " -> " + pair.second().name(),
                        k -> filled(pair.channels()));
                for (int c = 0; c < scale.length; c++) {
                    accumulated[c] *= scale[c];
                }
            }
            lastChange = change;
            if (change <= Math.log1p(tolerance)) {
                sweeps++;
                break;
            }
        }

        for (Pair pair : usable) {
            for (Node node : List.of(pair.first(), pair.second())) {
                Layers.replaceFloats(model, node.input(1), weights.get(node.name()).values);
            }
            String bias = pair.first().input(2);
            if (!bias.isEmpty()) {
                Layers.replaceFloats(model, bias, biases.get(pair.first().name()));
            }
        }
        if (!usable.isEmpty()) {
            context.setModel(model);
        }

        List<Map<String, Object>> equalized = new ArrayList<>();
        for (Pair pair : usable) {
            double[] s = total.getOrDefault(pair.first().name() + " -> " + pair.second().name(), filled(pair.channels()));
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            for (double v : s) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("first", pair.first().name());
            entry.put("second", pair.second().name());
            entry.put("through", pair.between());
            entry.put("channels", pair.channels());
            entry.put("range_spread", spreads.get(pair));
            entry.put("min_scale", min);
            entry.put("max_scale", max);
            equalized.add(entry);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("range", useActivations ? ACTIVATIONS : WEIGHTS);
        report.put("threshold", threshold);
        report.put("sweeps", sweeps);
        report.put("last_max_abs_log_scale", lastChange);
        report.put("pairs", equalized);
        List<Object> notPaired = new ArrayList<>(search.skipped());
        notPaired.addAll(skipped);
        report.put("not_equalized", notPaired);
        context.report("cross_layer_equalization", report);
    }

    /** Largest over median of per-channel ranges (1 when the median is 0 or the ranges are not finite). */
    static double spread(float[] ranges) {
        float[] sorted = ranges.clone();
        java.util.Arrays.sort(sorted);
        double median = sorted.length == 0 ? 0 : sorted[sorted.length / 2];
        double max = sorted.length == 0 ? 0 : sorted[sorted.length - 1];
        return median > 0 && Double.isFinite(max) ? max / median : 1.0;
    }

    private static double[] filled(int n) {
        double[] ones = new double[n];
        java.util.Arrays.fill(ones, 1.0);
        return ones;
    }
}
