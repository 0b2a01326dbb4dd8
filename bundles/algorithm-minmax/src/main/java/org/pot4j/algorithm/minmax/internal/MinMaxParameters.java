package org.pot4j.algorithm.minmax.internal;

import java.util.List;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;

/** MinMaxQuantization's declared parameters, in POT's names and with POT's defaults. */
final class MinMaxParameters {
    static final List<String> PRESETS = List.of("performance", "mixed", "accuracy");
    static final List<String> MODES = List.of("symmetric", "asymmetric");
    static final List<String> GRANULARITIES = List.of("pertensor", "perchannel");
    static final List<String> SATURATION_FIX = List.of("auto", "no", "first_layer", "signed_inputs", "all");
    static final List<String> TYPES = List.of("min", "max", "abs_max", "quantile", "abs_quantile");
    static final List<String> AGGREGATORS = List.of("mean", "max", "min", "median", "mean_no_outliers",
            "median_no_outliers", "hl_estimator");

    private MinMaxParameters() {
    }

    static List<ParameterDescriptor> top() {
        return List.of(
                ParameterDescriptor.choice("preset", "performance", PRESETS,
                        "performance: symmetric weights and activations; mixed: asymmetric activations; accuracy: asymmetric both"),
                ParameterDescriptor.bounded("stat_subset_size", ParameterType.INTEGER, 300, 1.0, null,
                        "calibration samples used for statistics"),
                ParameterDescriptor.bounded("stat_batch_size", ParameterType.INTEGER, 1, 1.0, null,
                        "samples per statistics inference (POT); statistics stay per sample"),
                ParameterDescriptor.optional("shuffle_data", ParameterType.BOOLEAN, false, "random calibration subset"),
                ParameterDescriptor.bounded("seed", ParameterType.INTEGER, 0, 0.0, null, "seed of the shuffled subset"),
                ParameterDescriptor.optional("weights", ParameterType.OBJECT, null,
                        "bits, mode, granularity, level_low, level_high, range_estimator"),
                ParameterDescriptor.optional("activations", ParameterType.OBJECT, null,
                        "bits, mode, granularity, level_low, level_high, range_estimator"),
                ParameterDescriptor.optional("ignored", ParameterType.OBJECT, null,
                        "POT: scope (node names), operations [{type, attributes}]"),
                ParameterDescriptor.optional("ignored_scope", ParameterType.OBJECT, null,
                        "scope, operations, types, patterns (regex), subgraphs [{inputs, outputs}], validate"),
                ParameterDescriptor.choice("saturation_fix", "auto", SATURATION_FIX,
                        "7-bit weights for CPUs without VNNI: auto (the device's advice when this CPU lacks VNNI, CPU:"
                                + " signed_inputs; else no), or as asked whatever this CPU has (no, first_layer,"
                                + " signed_inputs, all)"),
                ParameterDescriptor.optional("float_stem", ParameterType.BOOLEAN, true,
                        "on devices that ask for it (CPU): the leading Convs ONNX Runtime runs slower in int8 stay float"),
                ParameterDescriptor.optional("latency_check", ParameterType.BOOLEAN, true,
                        "on devices that ask for it (CPU): benchmark FP32 against INT8 and keep slow int8 regions float"),
                ParameterDescriptor.optional("model_type", ParameterType.STRING, null, "null or transformer"),
                ParameterDescriptor.optional("inplace_statistics", ParameterType.BOOLEAN, true,
                        "accepted for POT compatibility; statistics are always reduced while streaming"));
    }

    static List<ParameterDescriptor> block() {
        return List.of(
                ParameterDescriptor.bounded("bits", ParameterType.INTEGER, null, 2.0, 16.0, "quantization bits"),
                ParameterDescriptor.choice("mode", null, MODES, "symmetric or asymmetric"),
                ParameterDescriptor.choice("granularity", null, GRANULARITIES, "pertensor or perchannel"),
                ParameterDescriptor.optional("level_low", ParameterType.INTEGER, null, "lowest grid level"),
                ParameterDescriptor.optional("level_high", ParameterType.INTEGER, null, "highest grid level"),
                ParameterDescriptor.optional("range_estimator", ParameterType.OBJECT, null,
                        "preset: quantile, or min / max blocks"));
    }

    static List<ParameterDescriptor> rangeEstimator() {
        return List.of(
                ParameterDescriptor.choice("preset", null, List.of("default", "quantile"), "default or quantile"),
                ParameterDescriptor.optional("min", ParameterType.OBJECT, null, "type, aggregator, outlier_prob, clipping_value"),
                ParameterDescriptor.optional("max", ParameterType.OBJECT, null, "type, aggregator, outlier_prob, clipping_value"));
    }

    static List<ParameterDescriptor> estimator() {
        return List.of(
                ParameterDescriptor.choice("type", null, TYPES, "per-sample reducer"),
                ParameterDescriptor.choice("aggregator", null, AGGREGATORS, "aggregation across samples"),
                ParameterDescriptor.bounded("outlier_prob", ParameterType.NUMBER, null, 0.0, 0.5,
                        "fraction treated as outliers by quantiles and *_no_outliers"),
                ParameterDescriptor.optional("clipping_value", ParameterType.NUMBER, null, "bound of the estimated value"));
    }

    static List<ParameterDescriptor> ignored() {
        return List.of(
                ParameterDescriptor.optional("scope", ParameterType.LIST, null, "node names"),
                ParameterDescriptor.optional("operations", ParameterType.LIST, null, "[{type, attributes}]"),
                ParameterDescriptor.optional("types", ParameterType.LIST, null, "op types"),
                ParameterDescriptor.optional("patterns", ParameterType.LIST, null, "regular expressions over node names"),
                ParameterDescriptor.optional("subgraphs", ParameterType.LIST, null, "[{inputs: [node names], outputs: [node names]}]"),
                ParameterDescriptor.optional("validate", ParameterType.BOOLEAN, true,
                        "names, types and patterns that match nothing are an error"));
    }
}
