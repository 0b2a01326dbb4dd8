package org.pot4j.stats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Straightforward reference computations (full sort, plain loops) that the tests compare against. */
final class Naive {

    private Naive() {
    }

    /** numpy.quantile(x, q), method "linear", by sorting. */
    static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double position = q * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = Math.min(lower + 1, sorted.length - 1);
        double t = position - lower;
        if (t == 0) {
            return sorted[lower];  // an exact rank (and no inf * 0 when it is infinite)
        }
        return sorted[lower] + (sorted[upper] - sorted[lower]) * t;
    }

    static double mean(double[] values) {
        double sum = 0;
        for (double v : values) sum += v;
        return sum / values.length;
    }

    /** The values of channel c along axis a of a row-major tensor, by walking every multi-index. */
    static double[] channel(float[] data, long[] shape, int axis, int c) {
        List<Double> picked = new ArrayList<>();
        int[] index = new int[shape.length];
        for (int flat = 0; flat < data.length; flat++) {
            int rest = flat;
            for (int d = shape.length - 1; d >= 0; d--) {
                index[d] = (int) (rest % shape[d]);
                rest /= shape[d];
            }
            if (axis < 0 || index[axis] == c) picked.add((double) data[flat]);
        }
        return picked.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double[] abs(double[] values) {
        return Arrays.stream(values).map(Math::abs).toArray();
    }

    /** POT's no_outliers_estimator for one channel, written plainly. */
    static double[] withoutOutliers(double[] values, double alpha) {
        double low = quantile(values, alpha), high = quantile(values, 1 - alpha);
        double[] kept = Arrays.stream(values).filter(v -> v >= low && v <= high).toArray();
        return kept.length == 0 ? values : kept;
    }

    /** Hodges–Lehmann: median of all (x_i + x_j) / 2 with i <= j, by listing and sorting them. */
    static double hodgesLehmann(double[] values) {
        List<Double> averages = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            for (int j = i; j < values.length; j++) averages.add((values[i] + values[j]) / 2);
        }
        return quantile(averages.stream().mapToDouble(Double::doubleValue).toArray(), 0.5);
    }
}
