package org.pot4j.api.statistics;

/** Aggregation of the per-sample reduced values across samples, as in POT. */
public enum Aggregator {
    MEAN, MAX, MIN, MEDIAN, MEAN_NO_OUTLIERS, MEDIAN_NO_OUTLIERS, HL_ESTIMATOR;

    /** The POT configuration name, e.g. "mean_no_outliers". */
    public String configName() {
        return name().toLowerCase();
    }
}
