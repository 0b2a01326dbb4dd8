package org.pot4j.algorithm.biascorrection.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.model.Layers;

/**
 * POT's BiasCorrection ({@code use_fast_bias: false}): measured, not estimated. For every
 * quantized Conv/Gemm in topological order, the per-channel mean of its output on the
 * calibration subset is compared between the FP32 model and the model quantized by the plan,
 * with every earlier layer already corrected; the difference is added to the bias. One pass on
 * the FP32 model gives every reference mean (declared up front); each layer then costs one pass
 * on the QDQ model (a layer's output depends only on the layers before it, so quantizers after
 * it do not change what is measured). Unlike FastBiasCorrection this also captures the error of
 * quantized activations and of everything upstream, at the price of one pass per layer.
 */
@Component(service = QuantizationAlgorithm.class, property = QuantizationAlgorithm.PROPERTY + "=BiasCorrection")
public final class BiasCorrection implements QuantizationAlgorithm {

    static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.optional("apply_for_all_nodes", ParameterType.BOOLEAN, false,
                    "also correct quantized layers without a bias, adding one"),
            ParameterDescriptor.bounded("threshold", ParameterType.NUMBER, 1000.0, 0.0, null,
                    "skip a layer whose correction relative to its bias exceeds this"),
            ParameterDescriptor.bounded("stat_subset_size", ParameterType.INTEGER, 300, 1.0, null,
                    "calibration samples per pass"),
            ParameterDescriptor.bounded("stat_batch_size", ParameterType.INTEGER, 1, 1.0, null, "accepted for POT compatibility"),
            ParameterDescriptor.optional("shuffle_data", ParameterType.BOOLEAN, false, "random calibration subset"),
            ParameterDescriptor.bounded("seed", ParameterType.INTEGER, 0, 0.0, null, "seed of the shuffled subset"));

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    /** FP32 output means of every Conv/Gemm with a FLOAT initializer weight (the plan may not exist yet). */
    @Override
    public List<StatisticRequest> statistics(AlgorithmContext context) {
        return context.model().nodes().stream().filter(n -> layer(context.model(), n)).map(BiasCorrection::outputMean)
                .distinct().toList();
    }

    static StatisticRequest outputMean(Node node) {
        return new StatisticRequest(node.output(0), Reducer.MEAN, Aggregator.MEAN, 1, 0.0, 0.0);
    }

    static boolean layer(Graph model, Node node) {
        return Layers.convOrGemmWeight(model, node) != null;
    }

    @Override
    public void apply(AlgorithmContext context, Statistics statistics) {
        Parameters params = context.parameters().validate(PARAMETERS);
        boolean all = params.bool("apply_for_all_nodes", false);
        double threshold = params.number("threshold", 1000.0);
        QuantizationPlan plan = context.plan() == null ? new QuantizationPlan() : context.plan();
        Graph model = context.model().copy();
        int[] indices = context.calibrationIndices((int) params.integer("stat_subset_size", 300),
                params.bool("shuffle_data", false), params.integer("seed", 0));

        List<Node> layers = model.nodes().stream()
                .filter(n -> layer(model, n) && plan.quantizedNodes().contains(n.name())).toList();
        List<StatisticRequest> needed = layers.stream().map(BiasCorrection::outputMean).distinct().toList();
        Statistics reference = statistics;
        int passes = 0;
        if (!needed.isEmpty() && (reference == null || !needed.stream().allMatch(reference::contains))) {
            reference = context.collect(context.model(), null, indices, needed);
            passes++;
        }

        List<Map<String, Object>> applied = new ArrayList<>();
        List<Map<String, Object>> skipped = new ArrayList<>();
        for (Node node : layers) {
            context.checkCancelled();
            context.progress(applied.size() + skipped.size(), layers.size());
            boolean hasBias = Layers.hasBias(model, node);
            if (!hasBias && !all) {
                skipped.add(entry(node, "no bias (apply_for_all_nodes is false)"));
                continue;
            }
            StatisticRequest request = outputMean(node);
            float[] fp32 = reference.get(request);
            float[] quantized = context.collect(model, plan, indices, List.of(request)).get(request);
            passes++;
            float[] bias = Layers.biasOrZeros(model, node, fp32.length);
            if (bias.length != fp32.length || quantized.length != fp32.length) {
                skipped.add(entry(node, "bias has " + bias.length + " values for " + fp32.length + " output channels"));
                continue;
            }
            double beta = Layers.beta(node);
            if (beta == 0) {
                skipped.add(entry(node, "Gemm beta is 0: the bias has no effect"));
                continue;
            }
            float[] corrected = new float[bias.length];
            double maxShift = 0;
            double relative = 0;
            for (int c = 0; c < bias.length; c++) {
                double shift = (fp32[c] - quantized[c]) / beta;
                corrected[c] = (float) (bias[c] + shift);
                maxShift = Math.max(maxShift, Math.abs(shift));
                relative = Math.max(relative, bias[c] == 0 ? (shift == 0 ? 0 : Double.POSITIVE_INFINITY)
                        : Math.abs(shift / bias[c]));
            }
            if (hasBias && relative > threshold) {
                Map<String, Object> e = entry(node, "relative correction " + relative + " exceeds threshold " + threshold);
                skipped.add(e);
                continue;
            }
            Layers.replaceBias(model, node, corrected, "_bias_corrected");
            Map<String, Object> e = entry(node, null);
            e.put("max_abs_shift", maxShift);
            applied.add(e);
        }
        context.setModel(model);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("applied", applied);
        report.put("skipped", skipped);
        report.put("statistics_passes", passes);
        report.put("statistics_samples", indices.length);
        context.report("bias_correction", report);
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
