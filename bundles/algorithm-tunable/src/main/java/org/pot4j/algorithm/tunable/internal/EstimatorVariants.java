package org.pot4j.algorithm.tunable.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.params.Parameters;

/**
 * The range estimators a layer can choose from, each as MinMaxQuantization parameters: the user's
 * parameters with {@code activations.range_estimator} replaced. POT's expansion: {@code preset}
 * gives default and quantile; {@code outlier_prob} gives one quantile estimator per value of
 * {@code outlier_prob_choices}. The first variant is the user's own configuration (the reference).
 */
final class EstimatorVariants {
    static final List<String> TUNING_SCOPES = List.of("range_estimator", "layer");
    static final List<String> ESTIMATOR_SCOPES = List.of("preset", "outlier_prob");
    static final String REFERENCE = "default";

    private EstimatorVariants() {
    }

    /** Variant name to MinMax parameters, the reference first. */
    static Map<String, Parameters> of(Parameters params, List<String> tuningScope, List<String> estimatorScope,
                                      List<Double> outlierProbs) {
        Map<String, Parameters> variants = new LinkedHashMap<>();
        Parameters minMax = minMaxOnly(params);
        variants.put(REFERENCE, minMax);
        if (!tuningScope.contains("range_estimator")) {
            return variants;
        }
        boolean outliers = estimatorScope.contains("outlier_prob");
        if (estimatorScope.contains("preset") && !outliers) {
            variants.put("quantile", withEstimator(minMax, Map.of("preset", "quantile")));
        }
        if (outliers) {
            for (double p : outlierProbs) {
                Map<String, Object> end = Map.of("outlier_prob", p);
                variants.put("quantile@" + format(p), withEstimator(minMax, Map.of("preset", "quantile", "min", end,
                        "max", end)));
            }
        }
        return variants;
    }

    static void check(Parameters params, List<String> tuningScope, List<String> estimatorScope) {
        for (int i = 0; i < tuningScope.size(); i++) {
            if (!TUNING_SCOPES.contains(tuningScope.get(i))) {
                throw new InvalidInputException(params.pathOf("tuning_scope") + "[" + i + "]", tuningScope.get(i),
                        "supported: " + String.join(", ", TUNING_SCOPES) + " (bits, mode and granularity are not"
                                + " tuned by this version)");
            }
        }
        if (tuningScope.isEmpty()) {
            throw new InvalidInputException(params.pathOf("tuning_scope"), "[]", "at least one of "
                    + String.join(", ", TUNING_SCOPES));
        }
        for (int i = 0; i < estimatorScope.size(); i++) {
            if (!ESTIMATOR_SCOPES.contains(estimatorScope.get(i))) {
                throw new InvalidInputException(params.pathOf("estimator_tuning_scope") + "[" + i + "]",
                        estimatorScope.get(i), "supported: " + String.join(", ", ESTIMATOR_SCOPES)
                                + " (type and aggregator are not tuned by this version)");
            }
        }
    }

    static String format(double p) {
        return String.format(Locale.ROOT, "%.0e", p).replace("e-0", "e-");
    }

    /** The user's parameters without TunableQuantization's own keys. */
    static Parameters minMaxOnly(Parameters params) {
        Map<String, Object> values = new LinkedHashMap<>(params.asMap());
        TunableQuantization.OWN_KEYS.forEach(values::remove);
        return new Parameters(values, params.path(), params.baseDirectory());
    }

    private static Parameters withEstimator(Parameters minMax, Map<String, Object> estimator) {
        Map<String, Object> activations = new LinkedHashMap<>();
        if (minMax.asMap().get("activations") instanceof Map<?, ?> given) {
            given.forEach((k, v) -> activations.put(String.valueOf(k), v));
        }
        activations.put("range_estimator", estimator);
        return minMax.with("activations", activations);
    }

    static List<Double> numbers(List<Object> values, Parameters params, String key) {
        List<Double> numbers = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            if (!(values.get(i) instanceof Number n) || n.doubleValue() <= 0 || n.doubleValue() >= 0.5) {
                throw new InvalidInputException(params.pathOf(key) + "[" + i + "]", values.get(i),
                        "a probability between 0 and 0.5 (exclusive)");
            }
            numbers.add(n.doubleValue());
        }
        return numbers;
    }
}
