package org.pot4j.api.statistics;

/**
 * A statistic an algorithm needs: reduce {@code tensor} per sample with {@code reducer}
 * (keeping {@code channelAxis}, or over all elements when it is -1), then aggregate the
 * per-sample values across samples with {@code aggregator}.
 * {@code quantile} is the level q in [0, 1] for QUANTILE / ABS_QUANTILE reducers (POT: outlier_prob
 * for a minimum, 1 - outlier_prob for a maximum); {@code outlierProb} is the fraction treated as
 * outliers by MEAN_NO_OUTLIERS / MEDIAN_NO_OUTLIERS. Both are ignored by the other kinds.
 */
public record StatisticRequest(String tensor, Reducer reducer, Aggregator aggregator, int channelAxis,
                               double quantile, double outlierProb) {

    public static StatisticRequest perTensor(String tensor, Reducer reducer, Aggregator aggregator) {
        return new StatisticRequest(tensor, reducer, aggregator, -1, 0.0, 0.0);
    }

    public boolean perChannel() {
        return channelAxis >= 0;
    }
}
