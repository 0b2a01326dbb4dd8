package org.pot4j.metric.similarity.internal;

import java.util.Arrays;
import java.util.List;

/** The comparisons offered; each computes a per-sample value and an aggregate over samples. */
enum SimilarityType {
    /** Mean over samples of cos(output, reference). Two all-zero vectors count as identical (1). */
    COSINE("cosine", true),
    /**
     * Signal-to-quantization-noise ratio in dB, 10*log10(sum ref^2 / sum (ref - out)^2). The aggregate
     * sums energies over all samples (so one exact sample cannot make it infinite); identical
     * outputs are capped at {@link #MAX_SQNR_DB}.
     */
    SQNR("sqnr", true),
    /** Mean squared error over all elements of all samples. */
    MSE("mse", false);

    /** Above float32 resolution (~ 150 dB): a finite stand-in for "no noise at all". */
    static final double MAX_SQNR_DB = 200.0;
    static final List<String> KEYS = Arrays.stream(values()).map(t -> t.key).toList();

    final String key;
    final boolean higherIsBetter;

    SimilarityType(String key, boolean higherIsBetter) {
        this.key = key;
        this.higherIsBetter = higherIsBetter;
    }

    static SimilarityType of(String key) {
        for (SimilarityType type : values()) {
            if (type.key.equals(key)) {
                return type;
            }
        }
        throw new IllegalArgumentException(key);
    }

    static double sqnrDb(double signalEnergy, double noiseEnergy) {
        if (noiseEnergy == 0) {
            return MAX_SQNR_DB;
        }
        if (signalEnergy == 0) {
            return -MAX_SQNR_DB;
        }
        return Math.min(MAX_SQNR_DB, Math.max(-MAX_SQNR_DB, 10 * Math.log10(signalEnergy / noiseEnergy)));
    }
}
