package org.pot4j.algorithm.fastbiascorrection.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.model.Layers;

/**
 * POT's FastBiasCorrection: weight quantization shifts the mean of each output channel by
 * {@code (W - Ŵ) · E[x]}; adding that shift to the bias restores the FP32 channel means.
 * {@code E[x]} is the per-channel mean of the layer's FP32 input over the calibration subset (one
 * statistic per layer, declared up front so it can share the MinMax pass); {@code Ŵ} is the
 * weight quantized and dequantized exactly as the plan says. Layers whose relative shift exceeds
 * {@code threshold} are left alone (POT); {@code apply_for_all_nodes} also corrects layers without a bias (one is
 * added), where a relative shift is undefined.
 * <p>
 * The shift is computed for the interior of the feature map (zero padding at borders is not
 * modelled), like POT's evaluation of the layer on a mean-valued input.
 */
@Component(service = QuantizationAlgorithm.class, property = QuantizationAlgorithm.PROPERTY + "=FastBiasCorrection")
public final class FastBiasCorrection implements QuantizationAlgorithm {

    static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.bounded("threshold", ParameterType.NUMBER, 2.0, 0.0, null,
                    "skip a layer whose bias shift relative to its bias exceeds this"),
            ParameterDescriptor.optional("apply_for_all_nodes", ParameterType.BOOLEAN, false,
                    "also correct quantized layers without a bias, adding one (the threshold still applies to the others)"),
            ParameterDescriptor.bounded("stat_subset_size", ParameterType.INTEGER, 300, 1.0, null,
                    "calibration samples for the input means"),
            ParameterDescriptor.bounded("stat_batch_size", ParameterType.INTEGER, 1, 1.0, null, "accepted for POT compatibility"),
            ParameterDescriptor.optional("shuffle_data", ParameterType.BOOLEAN, false, "random calibration subset"),
            ParameterDescriptor.bounded("seed", ParameterType.INTEGER, 0, 0.0, null, "seed of the shuffled subset"));

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    /** Input means of every Conv/Gemm with float initializer weights: independent of the plan, so shareable. */
    @Override
    public List<StatisticRequest> statistics(AlgorithmContext context) {
        List<StatisticRequest> requests = new ArrayList<>();
        for (Node node : context.model().nodes()) {
            if (layer(context.model(), node) != null) {
                StatisticRequest request = inputMean(node);
                if (!requests.contains(request)) {
                    requests.add(request);
                }
            }
        }
        return requests;
    }

    static StatisticRequest inputMean(Node node) {
        return new StatisticRequest(node.input(0), Reducer.MEAN, Aggregator.MEAN, 1, 0.0, 0.0);
    }

    @Override
    public void apply(AlgorithmContext context, Statistics statistics) {
        Parameters params = context.parameters().validate(PARAMETERS);
        double threshold = params.number("threshold", 2.0);
        boolean all = params.bool("apply_for_all_nodes", false);
        QuantizationPlan plan = context.plan() == null ? new QuantizationPlan() : context.plan();
        Graph model = context.model().copy();

        List<Node> layers = new ArrayList<>();
        for (Node node : model.nodes()) {
            if (layer(model, node) != null && weightQuantizer(plan, node).isPresent()) {
                layers.add(node);
            }
        }
        Statistics means = statistics;
        List<StatisticRequest> needed = layers.stream().map(FastBiasCorrection::inputMean).distinct().toList();
        if (!needed.isEmpty() && (means == null || !needed.stream().allMatch(means::contains))) {
            int[] indices = context.calibrationIndices((int) params.integer("stat_subset_size", 300),
                    params.bool("shuffle_data", false), params.integer("seed", 0));
            means = context.collect(context.model(), null, indices, needed);
        }

        List<Map<String, Object>> applied = new ArrayList<>();
        List<Map<String, Object>> skipped = new ArrayList<>();
        for (Node node : layers) {
            context.checkCancelled();
            Quantizer quantizer = weightQuantizer(plan, node).orElseThrow();
            float[] mean = means.get(inputMean(node));
            Tensor weight = model.initializers().get(node.input(1));
            float[] shift = shift(node, weight, quantizer, mean);
            if (shift == null) {
                skipped.add(entry(node, "input means do not match the weight's input channels"));
                continue;
            }
            boolean hasBias = Layers.hasBias(model, node);
            if (!hasBias && !all) {
                skipped.add(entry(node, "no bias (apply_for_all_nodes is false)"));
                continue;
            }
            float[] bias = Layers.biasOrZeros(model, node, shift.length);
            if (bias.length != shift.length) {
                skipped.add(entry(node, "bias has " + bias.length + " values for " + shift.length + " channels"));
                continue;
            }
            double scale = node.opType().equals("Gemm") ? gemmScale(node) : 1.0;
            double magnitude = magnitude(shift, bias, scale);
            // the threshold holds for every layer with a bias, also under apply_for_all_nodes (it only adds the
            // biasless layers, whose relative shift is undefined)
            if (hasBias && !(magnitude < threshold)) {
                Map<String, Object> e = entry(node, "relative shift " + magnitude + " is not below threshold " + threshold);
                e.put("relative_shift", magnitude);
                skipped.add(e);
                continue;
            }
            float[] corrected = new float[bias.length];
            double maxShift = 0;
            for (int c = 0; c < bias.length; c++) {
                corrected[c] = (float) (bias[c] + shift[c] * scale);
                maxShift = Math.max(maxShift, Math.abs(shift[c] * scale));
            }
            Layers.replaceBias(model, node, corrected, "_bias_corrected");
            Map<String, Object> e = entry(node, null);
            e.put("max_abs_shift", maxShift);
            e.put("relative_shift", magnitude);
            applied.add(e);
        }
        context.setModel(model);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("threshold", threshold);
        report.put("applied", applied);
        report.put("skipped", skipped);
        report.put("statistics_samples", means == null ? 0 : means.samples());
        context.report("fast_bias_correction", report);
    }

    /** Conv (any domain, unlike {@link Layers#isConv}) or Gemm (transA=0) with a FLOAT initializer weight, else null. */
    static Tensor layer(Graph model, Node node) {
        return node.opType().equals("Conv") || Layers.isGemm(node) ? Layers.floatWeight(model, node) : null;
    }

    private static Optional<Quantizer> weightQuantizer(QuantizationPlan plan, Node node) {
        return plan.quantizer(new QuantizationPoint(node.name(), 1, node.input(1), QuantizationPoint.Kind.WEIGHT))
                .filter(Quantizer::hasRange);
    }

    /** Gemm: Y = alpha·A·B' + beta·C, so C moves by alpha/beta times the product's shift. */
    private static double gemmScale(Node node) {
        double alpha = Layers.alpha(node);
        double beta = Layers.beta(node);
        return beta == 0 ? 0 : alpha / beta;
    }

    /** max |shift / bias|, infinite when a bias value is zero (POT). */
    static double magnitude(float[] shift, float[] bias, double scale) {
        double magnitude = 0;
        for (int c = 0; c < shift.length; c++) {
            if (bias[c] == 0f) {
                return Double.POSITIVE_INFINITY;
            }
            magnitude = Math.max(magnitude, Math.abs(shift[c] * scale / bias[c]));
        }
        return magnitude;
    }

    /** (W − Ŵ)·mean per output channel; null when the shapes disagree. */
    static float[] shift(Node node, Tensor weight, Quantizer quantizer, float[] mean) {
        float[] w = weight.floats();
        long[] shape = weight.shape();
        float[] scales = quantizer.scales();
        long[] zeros = quantizer.zeroPoints();
        if (node.opType().equals("Conv")) {
            int out = (int) shape[0];
            int perGroupIn = (int) shape[1];
            int kernel = w.length / (out * perGroupIn);
            int groups = (int) node.intAttribute("group", 1);
            if (perGroupIn * groups != mean.length || out % groups != 0) {
                return null;
            }
            int outPerGroup = out / groups;
            float[] shift = new float[out];
            for (int o = 0; o < out; o++) {
                int channel = quantizer.perChannel() ? o : 0;
                int group = o / outPerGroup;
                double sum = 0;
                for (int i = 0; i < perGroupIn; i++) {
                    double m = mean[group * perGroupIn + i];
                    for (int k = 0; k < kernel; k++) {
                        float v = w[(o * perGroupIn + i) * kernel + k];
                        sum += (v - fakeQuantize(v, scales[channel], zeros[channel], quantizer)) * m;
                    }
                }
                shift[o] = (float) sum;
            }
            return shift;
        }
        boolean transB = Layers.transB(node);
        int n = Layers.outputChannels(node, weight);
        int k = Layers.inputChannels(node, weight);
        if (k != mean.length) {
            return null;
        }
        float[] shift = new float[n];
        for (int j = 0; j < n; j++) {
            double sum = 0;
            for (int i = 0; i < k; i++) {
                int index = Layers.matrixIndex(node, shape, i, j);
                int channel = !quantizer.perChannel() ? 0 : quantizer.axis() == 0 ? (transB ? j : i) : (transB ? i : j);
                float v = w[index];
                sum += (v - fakeQuantize(v, scales[channel], zeros[channel], quantizer)) * mean[i];
            }
            shift[j] = (float) sum;
        }
        return shift;
    }

    /** What QuantizeLinear → DequantizeLinear gives: round half to even, clamp to the grid. */
    static float fakeQuantize(float value, float scale, long zeroPoint, Quantizer quantizer) {
        double q = Math.rint(value / scale) + zeroPoint;
        q = Math.max(quantizer.levelLow(), Math.min(quantizer.levelHigh(), q));
        return (float) ((q - zeroPoint) * scale);
    }

    private static Map<String, Object> entry(Node node, String reason) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("node", node.name());
        if (reason != null) {
            e.put("reason", reason);
        }
        return e;
    }
}
