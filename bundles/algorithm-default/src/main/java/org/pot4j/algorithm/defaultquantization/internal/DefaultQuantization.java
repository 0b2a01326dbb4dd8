package org.pot4j.algorithm.defaultquantization.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.ContextWithParameters;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;

/**
 * POT's DefaultQuantization, composed from the algorithms that are live: SmoothQuant when the
 * model type is "transformer" → CrossLayerEqualization when asked → ActivationChannelAlignment
 * (when deployed) → MinMaxQuantization → FastBiasCorrection, or BiasCorrection when
 * {@code use_fast_bias} is false. Each sub-algorithm gets only its own parameters. MinMax and the
 * bias correction always share one statistics pass (the bias corrections' statistics are FP32
 * values that do not depend on the plan): declared here when no step before MinMax changes the
 * model (the orchestrator's pass then serves them), collected here after those steps otherwise.
 * ActivationChannelAlignment's ranges join that declared pass when it will likely move nothing;
 * if it does move channels, MinMax and the bias correction collect again on the aligned model.
 */
@Component(service = QuantizationAlgorithm.class, property = QuantizationAlgorithm.PROPERTY + "=DefaultQuantization")
public final class DefaultQuantization implements QuantizationAlgorithm {
    static final String MIN_MAX = "MinMaxQuantization";
    static final String FAST_BIAS = "FastBiasCorrection";
    static final String BIAS = "BiasCorrection";
    static final String CHANNEL_ALIGNMENT = "ActivationChannelAlignment";
    static final String EQUALIZATION = "CrossLayerEqualization";
    static final String SMOOTH_QUANT = "SmoothQuant";

    static final String AUTO = "auto";
    /**
     * The range spread (largest over median per-channel range of a pair's first layer) above which
     * {@code cross_layer_equalization: auto} equalizes a pair. Measured: every pair of cnn_relu and mobilenet_v2_tiny
     * spreads 1.5-2.1x; the rescaled pairs of their outlier variants 28-70x.
     */
    static final double AUTO_SPREAD = 8.0;
    static final List<String> SHARED = List.of("stat_subset_size", "stat_batch_size", "shuffle_data", "seed");
    /** Activations through which ActivationChannelAlignment moves a channel only when the data allow it. */
    static final Set<String> ACTIVATIONS = Set.of("Relu", "LeakyRelu", "Clip");
    static final List<String> MIN_MAX_KEYS = List.of("preset", "stat_subset_size", "stat_batch_size", "shuffle_data",
            "seed", "weights", "activations", "ignored", "ignored_scope", "saturation_fix", "float_stem", "latency_check",
            "model_type", "inplace_statistics");
    static final List<String> BIAS_KEYS = List.of("apply_for_all_nodes", "stat_subset_size", "stat_batch_size",
            "shuffle_data", "seed");
    static final List<String> FAST_BIAS_KEYS = List.of("threshold", "apply_for_all_nodes", "stat_subset_size",
            "stat_batch_size", "shuffle_data", "seed");

    static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.choice("preset", "performance", List.of("performance", "mixed", "accuracy"),
                    "performance: symmetric weights and activations; mixed: asymmetric activations; accuracy: asymmetric both"),
            ParameterDescriptor.bounded("stat_subset_size", ParameterType.INTEGER, 300, 1.0, null,
                    "calibration samples used for statistics"),
            ParameterDescriptor.bounded("stat_batch_size", ParameterType.INTEGER, 1, 1.0, null, "samples per statistics inference"),
            ParameterDescriptor.optional("shuffle_data", ParameterType.BOOLEAN, false, "random calibration subset"),
            ParameterDescriptor.bounded("seed", ParameterType.INTEGER, 0, 0.0, null, "seed of the shuffled subset"),
            ParameterDescriptor.optional("weights", ParameterType.OBJECT, null,
                    "bits, mode, granularity, level_low, level_high, range_estimator"),
            ParameterDescriptor.optional("activations", ParameterType.OBJECT, null,
                    "bits, mode, granularity, level_low, level_high, range_estimator"),
            ParameterDescriptor.optional("ignored", ParameterType.OBJECT, null, "POT: scope, operations"),
            ParameterDescriptor.optional("ignored_scope", ParameterType.OBJECT, null,
                    "scope, operations, types, patterns, subgraphs, validate"),
            ParameterDescriptor.choice("saturation_fix", "auto", List.of("auto", "no", "first_layer", "all"),
                    "7-bit weights for CPUs without VNNI: auto (first_layer when this CPU lacks VNNI), no, first_layer, all"),
            ParameterDescriptor.optional("float_stem", ParameterType.BOOLEAN, true,
                    "on devices that ask for it (CPU): the leading Convs ONNX Runtime runs slower in int8 stay float"),
            ParameterDescriptor.optional("latency_check", ParameterType.BOOLEAN, true,
                    "on devices that ask for it (CPU): benchmark FP32 against INT8 and keep slow int8 regions float"),
            ParameterDescriptor.optional("model_type", ParameterType.STRING, null,
                    "null or transformer (SmoothQuant runs first)"),
            ParameterDescriptor.bounded("smooth_quant_alpha", ParameterType.NUMBER, 0.5, 0.0, 1.0,
                    "SmoothQuant migration strength (model_type transformer)"),
            ParameterDescriptor.optional("inplace_statistics", ParameterType.BOOLEAN, true, "accepted for POT compatibility"),
            ParameterDescriptor.optional("use_fast_bias", ParameterType.BOOLEAN, true,
                    "FastBiasCorrection (true) or BiasCorrection (false)"),
            ParameterDescriptor.optional("cross_layer_equalization", ParameterType.ANY, AUTO,
                    "CrossLayerEqualization first: true (every pair), false, or auto (only pairs whose channel ranges "
                            + "spread more than " + AUTO_SPREAD + "x)"),
            ParameterDescriptor.bounded("threshold", ParameterType.NUMBER, 2.0, 0.0, null,
                    "FastBiasCorrection: skip a layer whose relative bias shift exceeds this"),
            ParameterDescriptor.optional("apply_for_all_nodes", ParameterType.BOOLEAN, false,
                    "FastBiasCorrection: correct every quantized layer"));

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    /**
     * MinMax's and the bias correction's statistics in one pass, when the model is final before MinMax; with
     * ActivationChannelAlignment's too when the alignment will likely leave the model as it is (see
     * {@link #alignmentLikelyMovesChannels}): if it then moves nothing, one pass serves all three.
     */
    @Override
    public List<StatisticRequest> statistics(AlgorithmContext context) {
        Parameters params = context.parameters().validate(PARAMETERS);
        Optional<QuantizationAlgorithm> minMax = context.algorithm(MIN_MAX);
        Optional<QuantizationAlgorithm> biasCorrection = context.algorithm(biasName(params));
        if (minMax.isEmpty() || biasCorrection.isEmpty() || equalization(params).equals("true")
                || transformer(context, params)) {
            return List.of();
        }
        List<StatisticRequest> alignment = alignmentRequests(context, params);
        if (alignmentLikelyMovesChannels(context.model(), alignment)) {
            return List.of();
        }
        Set<StatisticRequest> requests = new LinkedHashSet<>(alignment);
        requests.addAll(sharedRequests(context, params, minMax.get(), biasCorrection.get()));
        return new ArrayList<>(requests);
    }

    private static List<StatisticRequest> alignmentRequests(AlgorithmContext context, Parameters params) {
        Optional<QuantizationAlgorithm> alignment = context.algorithm(CHANNEL_ALIGNMENT);
        return alignment.isEmpty() ? List.of() : alignment.get().statistics(sub(context, alignment.get(), params, SHARED));
    }

    /**
     * Whether ActivationChannelAlignment will move some channel, judged from the graph before any data: a layer
     * output it reads that reaches the next layer other than through Relu / LeakyRelu / Clip is a linear pair,
     * whose channels it always centres; through those activations it moves a channel only if the channel never
     * reaches the activation's lower bound on the calibration data, which is rare. A wrong guess costs time only:
     * when the alignment moves channels, MinMax and the bias correction collect again on the aligned model.
     */
    static boolean alignmentLikelyMovesChannels(Graph model, List<StatisticRequest> alignment) {
        for (StatisticRequest request : alignment) {
            for (Node consumer : model.consumers(request.tensor())) {
                if (!ACTIVATIONS.contains(consumer.opType())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String biasName(Parameters params) {
        return params.bool("use_fast_bias", true) ? FAST_BIAS : BIAS;
    }

    private static List<String> biasKeys(Parameters params) {
        return params.bool("use_fast_bias", true) ? FAST_BIAS_KEYS : BIAS_KEYS;
    }

    private static boolean transformer(AlgorithmContext context, Parameters params) {
        return "transformer".equals(context.modelType()) || "transformer".equals(params.string("model_type", null));
    }

    private static List<StatisticRequest> sharedRequests(AlgorithmContext context, Parameters params,
                                                         QuantizationAlgorithm minMax, QuantizationAlgorithm biasCorrection) {
        Set<StatisticRequest> requests = new LinkedHashSet<>(minMax.statistics(sub(context, minMax, params, MIN_MAX_KEYS)));
        List<StatisticRequest> bias = biasCorrection.statistics(sub(context, biasCorrection, params, biasKeys(params)));
        if (params.bool("use_fast_bias", true)) {
            // FastBiasCorrection corrects only layers MinMax quantizes, and MinMax reads the input of each: an input
            // MinMax leaves alone (float stem, ignored scope, an op the device keeps float) feeds no corrected layer,
            // so its channel means are not read (should a layer still need one, FastBiasCorrection collects it)
            Set<String> quantizedInputs = new HashSet<>();
            requests.forEach(request -> quantizedInputs.add(request.tensor()));
            bias = bias.stream().filter(request -> quantizedInputs.contains(request.tensor())).toList();
        }
        requests.addAll(bias);
        return new ArrayList<>(requests);
    }

    @Override
    public void apply(AlgorithmContext context, Statistics statistics) throws Exception {
        Parameters params = context.parameters().validate(PARAMETERS);
        boolean fast = params.bool("use_fast_bias", true);
        QuantizationAlgorithm minMax = require(context, MIN_MAX, "preset/weights/activations");
        QuantizationAlgorithm biasCorrection = fast ? require(context, FAST_BIAS, "use_fast_bias: true")
                : require(context, BIAS, "use_fast_bias: false");
        List<String> steps = new ArrayList<>();
        if (transformer(context, params)) {
            require(context, SMOOTH_QUANT, "model_type: transformer");
            context.stage(SMOOTH_QUANT);
            Map<String, Object> smooth = new LinkedHashMap<>(subset(params, SHARED).asMap());
            smooth.put("alpha", params.number("smooth_quant_alpha", 0.5));
            context.run(SMOOTH_QUANT, new Parameters(smooth, params.path(), params.baseDirectory()));
            steps.add(SMOOTH_QUANT);
        }
        String equalization = equalization(params);
        if (equalization.equals("true")) {
            require(context, EQUALIZATION, "cross_layer_equalization: true");
            context.stage(EQUALIZATION);
            context.run(EQUALIZATION, subset(params, SHARED));
            steps.add(EQUALIZATION);
        } else if (equalization.equals(AUTO) && context.algorithm(EQUALIZATION).isPresent()) {
            // data-free with the weights' ranges: the model object changes only when a lopsided pair was equalized,
            // and otherwise the statistics declared up front still describe it
            context.stage(EQUALIZATION);
            Graph before = context.model();
            context.run(EQUALIZATION, subset(params, SHARED).with("threshold", AUTO_SPREAD));
            if (context.model() != before) {
                steps.add(EQUALIZATION);
            }
        }
        // the declared pass holds statistics of the model as it was before any step: valid while it stays the same
        Graph declaredOn = steps.isEmpty() ? context.model() : null;
        Optional<QuantizationAlgorithm> alignment = context.algorithm(CHANNEL_ALIGNMENT);
        if (alignment.isPresent()) {
            context.stage(CHANNEL_ALIGNMENT);
            AlgorithmContext alignmentContext = sub(context, alignment.get(), params, SHARED);
            List<StatisticRequest> ranges = alignment.get().statistics(alignmentContext);
            if (declaredOn != null && statistics != null && !ranges.isEmpty() && ranges.stream().allMatch(statistics::contains)) {
                alignment.get().apply(alignmentContext, statistics); // its ranges came with the declared pass
            } else {
                context.run(CHANNEL_ALIGNMENT, subset(params, SHARED));
            }
            steps.add(CHANNEL_ALIGNMENT);
        }
        context.checkCancelled();
        AlgorithmContext minMaxContext = sub(context, minMax, params, MIN_MAX_KEYS);
        List<StatisticRequest> needed = sharedRequests(context, params, minMax, biasCorrection);
        boolean declaredPass = declaredOn != null && context.model() == declaredOn && statistics != null
                && needed.stream().allMatch(statistics::contains);
        Statistics shared = statistics;
        if (!declaredPass) {
            context.stage(MIN_MAX + " + " + biasName(params) + ": statistics");
            int[] indices = context.calibrationIndices((int) params.integer("stat_subset_size", 300),
                    params.bool("shuffle_data", false), params.integer("seed", 0));
            shared = context.collect(context.model(), null, indices, needed);
        }
        context.stage(MIN_MAX);
        minMax.apply(minMaxContext, shared);
        context.checkCancelled();
        context.stage(biasName(params));
        biasCorrection.apply(sub(context, biasCorrection, params, biasKeys(params)), shared);
        steps.add(MIN_MAX);
        steps.add(biasName(params));
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("steps", steps);
        report.put("shared_statistics_pass", true);
        report.put("statistics_pass_declared_up_front", declaredPass);
        if (context.algorithm(CHANNEL_ALIGNMENT).isEmpty()) {
            report.put("skipped", CHANNEL_ALIGNMENT + " is not deployed");
        }
        context.report("default_quantization", report);
    }

    /** {@code cross_layer_equalization} as "true", "false" or "auto"; anything else is named. */
    static String equalization(Parameters params) {
        Object value = params.has("cross_layer_equalization") ? params.raw("cross_layer_equalization") : AUTO;
        if (value instanceof Boolean flag) {
            return flag.toString();
        }
        if (AUTO.equals(value)) {
            return AUTO;
        }
        throw new InvalidInputException(params.pathOf("cross_layer_equalization"), value, "true, false or \"auto\"");
    }

    private static QuantizationAlgorithm require(AlgorithmContext context, String name, String neededFor) {
        return context.algorithm(name).orElseThrow(() -> new Pot4jException("ALGORITHM_UNAVAILABLE",
                name + " is not deployed (DefaultQuantization needs it for " + neededFor + ")"));
    }

    private static AlgorithmContext sub(AlgorithmContext context, QuantizationAlgorithm algorithm, Parameters params,
                                        List<String> keys) {
        return new ContextWithParameters(context, subset(params, keys).validate(algorithm.parameters()));
    }

    /** The given keys of {@code params} (those present), keeping the path for error messages. */
    static Parameters subset(Parameters params, List<String> keys) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (String key : keys) {
            if (params.has(key)) {
                values.put(key, params.raw(key));
            }
        }
        return new Parameters(values, params.path(), params.baseDirectory());
    }
}
