package org.pot4j.api.statistics;

/** Per-sample reduction of one tensor (over all axes but the kept channel axis), as in POT. */
public enum Reducer {
    MIN, MAX, ABS_MAX, MEAN, QUANTILE, ABS_QUANTILE;

    /** The POT configuration name, e.g. "abs_max". */
    public String configName() {
        return name().toLowerCase();
    }
}
