package org.pot4j.algorithm.minmax.internal;

import java.util.Locale;
import java.util.Optional;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;

/**
 * How the low and the high end of a range are estimated, as POT's {@code range_estimator}:
 * each end has a per-sample reducer ({@code type}), an aggregator across samples, an
 * {@code outlier_prob} and an optional {@code clipping_value}. For symmetric quantizers the high
 * end gives the magnitude and the low end only decides signed vs unsigned.
 */
record RangeEstimator(End min, End max, String preset) {
    static final double DEFAULT_OUTLIER_PROB = 1e-4;

    record End(Reducer type, Aggregator aggregator, double outlierProb, Double clippingValue) {

        /** The statistic for this end; {@code high} decides which tail a quantile cuts. */
        StatisticRequest request(String tensor, boolean high) {
            double quantile = switch (type) {
                case QUANTILE -> high ? 1 - outlierProb : outlierProb;
                case ABS_QUANTILE -> 1 - outlierProb;
                default -> 0.0;
            };
            boolean trims = aggregator == Aggregator.MEAN_NO_OUTLIERS || aggregator == Aggregator.MEDIAN_NO_OUTLIERS;
            return new StatisticRequest(tensor, type, aggregator, -1, quantile, trims ? outlierProb : 0.0);
        }

        /** Applies clipping_value: the high end is at most it, the low end at least it. */
        float clip(float value, boolean high) {
            if (clippingValue == null) {
                return value;
            }
            return high ? (float) Math.min(value, clippingValue) : (float) Math.max(value, clippingValue);
        }

        String describe(int samples) {
            String reducer = type.configName() + (type == Reducer.QUANTILE || type == Reducer.ABS_QUANTILE
                    ? "(outlier_prob " + outlierProb + ")" : "");
            return aggregator.configName() + " of per-sample " + reducer + " over " + samples + " samples"
                    + (clippingValue == null ? "" : ", clipped at " + clippingValue);
        }
    }

    /** POT's defaults for per-tensor activations, then the user's block merged over them. */
    static RangeEstimator forActivations(boolean symmetric, Optional<Parameters> block) {
        Parameters estimator = block.map(b -> b.validate(MinMaxParameters.rangeEstimator())).orElse(null);
        String preset = estimator == null ? "default" : estimator.string("preset", "default");
        End min;
        End max;
        if (preset.equals("quantile")) {
            min = symmetric ? new End(Reducer.MIN, Aggregator.MIN, DEFAULT_OUTLIER_PROB, null)
                    : new End(Reducer.QUANTILE, Aggregator.MEAN, DEFAULT_OUTLIER_PROB, null);
            max = symmetric ? new End(Reducer.ABS_QUANTILE, Aggregator.MEAN, DEFAULT_OUTLIER_PROB, null)
                    : new End(Reducer.QUANTILE, Aggregator.MEAN, DEFAULT_OUTLIER_PROB, null);
        } else {
            min = symmetric ? new End(Reducer.MIN, Aggregator.MIN, DEFAULT_OUTLIER_PROB, null)
                    : new End(Reducer.MIN, Aggregator.MEAN, DEFAULT_OUTLIER_PROB, null);
            max = symmetric ? new End(Reducer.ABS_MAX, Aggregator.MEAN, DEFAULT_OUTLIER_PROB, null)
                    : new End(Reducer.MAX, Aggregator.MEAN, DEFAULT_OUTLIER_PROB, null);
        }
        if (estimator != null) {
            min = merge(min, estimator.optionalObject("min"));
            max = merge(max, estimator.optionalObject("max"));
        }
        return new RangeEstimator(min, max, preset);
    }

    /** Weights are one "sample": only the reducer, outlier_prob and clipping_value matter. */
    static RangeEstimator forWeights(boolean symmetric, Optional<Parameters> block) {
        Parameters estimator = block.map(b -> b.validate(MinMaxParameters.rangeEstimator())).orElse(null);
        String preset = estimator == null ? "default" : estimator.string("preset", "default");
        boolean quantile = preset.equals("quantile");
        End min = new End(quantile ? Reducer.QUANTILE : Reducer.MIN, Aggregator.MEAN, DEFAULT_OUTLIER_PROB, null);
        End max = new End(symmetric ? (quantile ? Reducer.ABS_QUANTILE : Reducer.ABS_MAX) : (quantile ? Reducer.QUANTILE : Reducer.MAX),
                Aggregator.MEAN, DEFAULT_OUTLIER_PROB, null);
        if (estimator != null) {
            min = merge(min, estimator.optionalObject("min"));
            max = merge(max, estimator.optionalObject("max"));
        }
        return new RangeEstimator(min, max, preset);
    }

    private static End merge(End base, Optional<Parameters> block) {
        if (block.isEmpty()) {
            return base;
        }
        Parameters end = block.get().validate(MinMaxParameters.estimator());
        Reducer type = end.has("type") ? Reducer.valueOf(end.string("type").toUpperCase(Locale.ROOT)) : base.type();
        Aggregator aggregator = end.has("aggregator")
                ? Aggregator.valueOf(end.string("aggregator").toUpperCase(Locale.ROOT)) : base.aggregator();
        double outlierProb = end.number("outlier_prob", base.outlierProb());
        Double clipping = end.has("clipping_value") ? Double.valueOf(end.number("clipping_value")) : base.clippingValue();
        return new End(type, aggregator, outlierProb, clipping);
    }
}
