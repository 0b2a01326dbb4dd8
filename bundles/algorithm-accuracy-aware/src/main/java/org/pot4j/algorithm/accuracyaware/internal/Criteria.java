package org.pot4j.algorithm.accuracyaware.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pot4j.api.InvalidInputException;

/**
 * The accuracy criteria of a job: per metric its baseline, direction and the allowed drop
 * ({@code maximal_drop}, absolute or relative to the baseline). The gap of a metric is its drop
 * minus the allowed drop: positive means not yet within the bound.
 */
final class Criteria {
    /** Float noise tolerated when comparing a drop with the bound (accuracy is a ratio of counts). */
    static final double EPSILON = 1e-9;

    private final Map<String, Double> baselines;
    private final Map<String, Boolean> higherIsBetter;
    private final double maximalDrop;
    private final boolean relative;

    Criteria(Map<String, Double> baselines, Map<String, Boolean> higherIsBetter, double maximalDrop, boolean relative,
             String dropTypePath) {
        this.baselines = new LinkedHashMap<>(baselines);
        this.higherIsBetter = new LinkedHashMap<>(higherIsBetter);
        this.maximalDrop = maximalDrop;
        this.relative = relative;
        for (Map.Entry<String, Double> baseline : baselines.entrySet()) {
            if (!Double.isFinite(baseline.getValue())) {
                throw new InvalidInputException("metrics." + baseline.getKey() + ".baseline_value", baseline.getValue(),
                        "a finite FP32 baseline; give baseline_value for metrics whose FP32 value is not finite "
                                + "(e.g. similarity sqnr of the FP32 model with itself)");
            }
            if (relative && baseline.getValue() == 0.0) {
                throw new InvalidInputException(dropTypePath, "relative",
                        "absolute, since the baseline of " + baseline.getKey() + " is 0");
            }
        }
    }

    List<String> metricNames() {
        return List.copyOf(baselines.keySet());
    }

    Map<String, Double> baselines() {
        return baselines;
    }

    boolean higherIsBetter(String metric) {
        return higherIsBetter.getOrDefault(metric, true);
    }

    double maximalDrop() {
        return maximalDrop;
    }

    /** Drop of one metric value from its baseline, in the configured drop type (positive = worse). */
    double drop(String metric, double value) {
        double baseline = baselines.get(metric);
        double absolute = higherIsBetter(metric) ? baseline - value : value - baseline;
        return relative ? absolute / Math.abs(baseline) : absolute;
    }

    /** A size of change of one metric (a standard error, a margin) in the units drops are measured in. */
    double inDropUnits(String metric, double change) {
        return relative ? change / Math.abs(baselines.get(metric)) : change;
    }

    Map<String, Double> drops(Map<String, Double> values) {
        Map<String, Double> drops = new LinkedHashMap<>();
        baselines.keySet().forEach(m -> drops.put(m, drop(m, values.get(m))));
        return drops;
    }

    /** Drop minus the bound, per metric: positive = still above the bound. */
    Map<String, Double> gaps(Map<String, Double> values) {
        Map<String, Double> gaps = new LinkedHashMap<>();
        drops(values).forEach((m, drop) -> gaps.put(m, drop - maximalDrop));
        return gaps;
    }

    /** The metric furthest from its bound: the one the algorithm works on. */
    String target(Map<String, Double> values) {
        String target = null;
        double worst = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, Double> gap : gaps(values).entrySet()) {
            if (target == null || gap.getValue() > worst) {
                target = gap.getKey();
                worst = gap.getValue();
            }
        }
        return target;
    }

    double worstGap(Map<String, Double> values) {
        return gaps(values).values().stream().mapToDouble(Double::doubleValue).max().orElse(0.0);
    }

    boolean satisfied(Map<String, Double> values) {
        return worstGap(values) <= EPSILON;
    }

    /** A value turned into "higher is better" for sorting (negated for loss-like metrics). */
    double score(String metric, double value) {
        return higherIsBetter(metric) ? value : -value;
    }
}
