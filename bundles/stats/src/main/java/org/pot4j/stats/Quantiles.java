package org.pot4j.stats;

/**
 * Exact quantiles with linear interpolation, as {@code numpy.quantile(x, q)} (method "linear"),
 * found by selection (expected O(n)) instead of a full sort.
 */
public final class Quantiles {

    private Quantiles() {
    }

    /** The q-quantile of {@code values}; the array is not modified. NaN if any value is NaN. */
    public static double quantile(float[] values, double q) {
        return selectInPlace(values.clone(), values.length, q);
    }

    /** The q-quantile of {@code values}; the array is not modified. NaN if any value is NaN. */
    public static double quantile(double[] values, double q) {
        return selectInPlace(values.clone(), values.length, q);
    }

    /**
     * The q-quantile of {@code values[0, length)}, reordering that range (it stays a permutation,
     * so several levels can be selected one after another on the same array).
     */
    public static double selectInPlace(float[] values, int length, double q) {
        checkLevel(q, length);
        for (int i = 0; i < length; i++) {
            if (Float.isNaN(values[i])) {
                return Double.NaN;
            }
        }
        double position = q * (length - 1);
        int lower = (int) Math.floor(position);
        double fraction = position - lower;
        double a = select(values, 0, length - 1, lower);
        if (fraction == 0.0 || lower + 1 >= length) {
            return a;
        }
        // after selecting rank 'lower', everything right of it is >= it: the next rank is their minimum
        float b = values[lower + 1];
        for (int i = lower + 2; i < length; i++) {
            if (values[i] < b) {
                b = values[i];
            }
        }
        return interpolate(a, b, fraction);
    }

    /** As {@link #selectInPlace(float[], int, double)} for doubles. */
    public static double selectInPlace(double[] values, int length, double q) {
        checkLevel(q, length);
        for (int i = 0; i < length; i++) {
            if (Double.isNaN(values[i])) {
                return Double.NaN;
            }
        }
        double position = q * (length - 1);
        int lower = (int) Math.floor(position);
        double fraction = position - lower;
        double a = select(values, 0, length - 1, lower);
        if (fraction == 0.0 || lower + 1 >= length) {
            return a;
        }
        double b = values[lower + 1];
        for (int i = lower + 2; i < length; i++) {
            if (values[i] < b) {
                b = values[i];
            }
        }
        return interpolate(a, b, fraction);
    }

    /**
     * numpy's linear interpolation between neighbouring order statistics a <= b at fraction t
     * (it uses the upper end for t >= 0.5, for monotonicity). Next to an infinite rank the result
     * is that infinity (any positive weight on it), where the plain formula would give NaN.
     */
    public static double interpolate(double a, double b, double t) {
        if (t == 0.0 || a == b) {
            return a;
        }
        boolean infiniteA = Double.isInfinite(a), infiniteB = Double.isInfinite(b);
        if (infiniteA || infiniteB) {
            if (infiniteA && infiniteB) return t < 0.5 ? a : b;
            return infiniteA ? a : b;
        }
        double difference = b - a;
        return t >= 0.5 ? b - difference * (1.0 - t) : a + difference * t;
    }

    private static void checkLevel(double q, int length) {
        if (!(q >= 0.0 && q <= 1.0)) {
            throw new IllegalArgumentException("quantile level " + q + " is outside [0, 1]");
        }
        if (length <= 0) {
            throw new IllegalArgumentException("quantile of an empty set");
        }
    }

    /** Hoare-style quickselect: the element of rank k within [left, right]. */
    private static float select(float[] a, int left, int right, int k) {
        while (right > left) {
            int middle = (left + right) >>> 1;
            // median of three as pivot: robust on sorted and constant runs (ReLU outputs are mostly 0)
            float x = a[left], y = a[middle], z = a[right];
            float pivot = x < y ? (y < z ? y : Math.max(x, z)) : (x < z ? x : Math.max(y, z));
            int i = left, j = right;
            while (i <= j) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) {
                    float t = a[i]; a[i] = a[j]; a[j] = t;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                right = j;
            } else if (k >= i) {
                left = i;
            } else {
                return a[k];
            }
        }
        return a[k];
    }

    private static double select(double[] a, int left, int right, int k) {
        while (right > left) {
            int middle = (left + right) >>> 1;
            double x = a[left], y = a[middle], z = a[right];
            double pivot = x < y ? (y < z ? y : Math.max(x, z)) : (x < z ? x : Math.max(y, z));
            int i = left, j = right;
            while (i <= j) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) {
                    double t = a[i]; a[i] = a[j]; a[j] = t;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                right = j;
            } else if (k >= i) {
                left = i;
            } else {
                return a[k];
            }
        }
        return a[k];
    }
}
