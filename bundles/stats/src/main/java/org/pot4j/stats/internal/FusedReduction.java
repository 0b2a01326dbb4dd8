package org.pot4j.stats.internal;

import java.util.Arrays;
import java.util.List;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.stats.Quantiles;

/**
 * Computes several reducers of one sample's activation together, channel by channel, in one
 * streaming pass: min and max (hence abs_max), and the extreme quantiles POT asks for (levels
 * such as 1e-4 and 1 - 1e-4 depend on a handful of the smallest or largest values, kept in tiny
 * sorted buffers). The mean takes a second pass only when requested; other quantile levels copy
 * the channel once (raw, once absolute) and select. Holds scratch buffers: one instance per thread.
 */
public final class FusedReduction {

    /** One reducer to compute; {@code level} is the quantile level (ignored by the others). */
    public record Spec(Reducer reducer, double level) {
    }

    /** Above this many extreme ranks a copy and a selection beat the streaming buffer. */
    static final int EXTREME_LIMIT = 64;

    private final Spec[] specs;
    private final boolean needsMean;
    private float[] scratch = new float[0];
    // streaming trackers: the smallest / largest raw values, the smallest / largest absolute values
    private final Extremes rawLow = new Extremes(false), rawHigh = new Extremes(true);
    private final Extremes absLow = new Extremes(false), absHigh = new Extremes(true);

    public FusedReduction(List<Spec> specs) {
        this.specs = specs.toArray(new Spec[0]);
        boolean mean = false;
        for (Spec spec : this.specs) {
            mean |= spec.reducer() == Reducer.MEAN;
        }
        this.needsMean = mean;
    }

    /** Number of values each reducer yields for this shape (channels, or 1 per tensor). */
    public static int width(long[] shape, int channelAxis) {
        checkAxis(shape, channelAxis);
        return channelAxis < 0 ? 1 : Math.toIntExact(shape[channelAxis]);
    }

    /**
     * Reduces {@code data[offset, offset + elementCount(shape))}, laid out row-major with
     * {@code shape}, keeping {@code channelAxis} (-1: over everything). Writes spec k's values for
     * channel c to {@code out[k][outOffset + c]}.
     */
    public void reduce(float[] data, int offset, long[] shape, int channelAxis, float[][] out, int outOffset) {
        checkAxis(shape, channelAxis);
        long outerLong = 1, innerLong = 1;
        int channels = 1;
        if (channelAxis < 0) {
            for (long dim : shape) innerLong *= dim;
        } else {
            for (int d = 0; d < channelAxis; d++) outerLong *= shape[d];
            channels = Math.toIntExact(shape[channelAxis]);
            for (int d = channelAxis + 1; d < shape.length; d++) innerLong *= shape[d];
        }
        int outer = Math.toIntExact(outerLong), inner = Math.toIntExact(innerLong);
        int n = outer * inner;
        if (n == 0) {
            throw new IllegalArgumentException("cannot reduce an empty tensor of shape " + Arrays.toString(shape));
        }
        // which quantiles stream, and how many extreme values each tracker must keep
        int rawLowKeep = 0, rawHighKeep = 0, absLowKeep = 0, absHighKeep = 0;
        for (Spec spec : specs) {
            boolean abs = spec.reducer() == Reducer.ABS_QUANTILE;
            if (!abs && spec.reducer() != Reducer.QUANTILE) continue;
            Ranks ranks = new Ranks(n, spec.level());
            if (ranks.bottomKeep() <= EXTREME_LIMIT && ranks.bottomKeep() <= ranks.topKeep()) {
                if (abs) absLowKeep = Math.max(absLowKeep, ranks.bottomKeep());
                else rawLowKeep = Math.max(rawLowKeep, ranks.bottomKeep());
            } else if (ranks.topKeep() <= EXTREME_LIMIT) {
                if (abs) absHighKeep = Math.max(absHighKeep, ranks.topKeep());
                else rawHighKeep = Math.max(rawHighKeep, ranks.topKeep());
            }
        }

        for (int c = 0; c < channels; c++) {
            // the raw trackers always keep at least the minimum and the maximum
            rawLow.reset(Math.max(1, rawLowKeep));
            rawHigh.reset(Math.max(1, rawHighKeep));
            absLow.reset(absLowKeep);
            absHigh.reset(absHighKeep);
            boolean absTrackers = absLowKeep + absHighKeep > 0;
            boolean nan = false;
            double sum = 0;
            for (int o = 0; o < outer; o++) {
                int start = offset + (o * channels + c) * inner, end = start + inner;
                float lowLimit = rawLow.limit(), highLimit = rawHigh.limit();
                if (!absTrackers) {
                    for (int i = start; i < end; i++) {
                        float v = data[i];
                        // written so that a NaN enters the (rare) branch, which notes it
                        if (!(v >= lowLimit)) {
                            if (v != v) {
                                nan = true;
                                continue;
                            }
                            lowLimit = rawLow.offer(v);
                        }
                        if (v > highLimit) highLimit = rawHigh.offer(v);
                    }
                } else {
                    float absLowLimit = absLow.limit(), absHighLimit = absHigh.limit();
                    for (int i = start; i < end; i++) {
                        float v = data[i];
                        if (!(v >= lowLimit)) {
                            if (v != v) {
                                nan = true;
                                continue;
                            }
                            lowLimit = rawLow.offer(v);
                        }
                        if (v > highLimit) highLimit = rawHigh.offer(v);
                        float a = Math.abs(v);
                        if (a < absLowLimit) absLowLimit = absLow.offer(a);
                        if (a > absHighLimit) absHighLimit = absHigh.offer(a);
                    }
                }
                if (needsMean) {
                    sum += sum(data, start, end);
                }
            }
            rawLow.finish();
            rawHigh.finish();
            absLow.finish();
            absHigh.finish();
            float min = rawLow.value(0), max = rawHigh.value(0);
            if (nan) {
                // as numpy: a NaN makes every statistic of its channel NaN
                for (float[] row : out) row[outOffset + c] = Float.NaN;
                continue;
            }
            boolean rawCopied = false, absCopied = false;
            for (int k = 0; k < specs.length; k++) {
                Spec spec = specs[k];
                float value;
                switch (spec.reducer()) {
                    case MIN: value = min; break;
                    case MAX: value = max; break;
                    case ABS_MAX: value = Math.max(Math.abs(min), Math.abs(max)); break;
                    case MEAN: value = (float) (sum / n); break;
                    default: continue;  // quantiles below, raw ones first: the scratch is then reused
                }
                out[k][outOffset + c] = value;
            }
            for (boolean abs : new boolean[] {false, true}) {
                for (int k = 0; k < specs.length; k++) {
                    Spec spec = specs[k];
                    Reducer wanted = abs ? Reducer.ABS_QUANTILE : Reducer.QUANTILE;
                    if (spec.reducer() != wanted) continue;
                    Ranks ranks = new Ranks(n, spec.level());
                    Extremes low = abs ? absLow : rawLow, high = abs ? absHigh : rawHigh;
                    double value;
                    if (low.keep() >= ranks.bottomKeep() && ranks.bottomKeep() <= ranks.topKeep()) {
                        value = ranks.interpolate(low.value(ranks.lower()), low.value(ranks.upper()));
                    } else if (high.keep() >= ranks.topKeep()) {
                        value = ranks.interpolate(high.value(n - 1 - ranks.lower()), high.value(n - 1 - ranks.upper()));
                    } else {
                        if (abs ? !absCopied : !rawCopied) {
                            gather(data, offset, outer, channels, inner, c, abs);
                            rawCopied = !abs;
                            absCopied = abs;
                        }
                        value = Quantiles.selectInPlace(scratch, n, spec.level());
                    }
                    out[k][outOffset + c] = (float) value;
                }
            }
        }
    }

    /** Four independent accumulators: the additions pipeline instead of waiting on each other. */
    private static double sum(float[] data, int start, int end) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = start;
        for (; i + 3 < end; i += 4) {
            s0 += data[i];
            s1 += data[i + 1];
            s2 += data[i + 2];
            s3 += data[i + 3];
        }
        for (; i < end; i++) s0 += data[i];
        return (s0 + s1) + (s2 + s3);
    }

    private void gather(float[] data, int offset, int outer, int channels, int inner, int channel, boolean abs) {
        if (scratch.length < outer * inner) {
            scratch = new float[outer * inner];
        }
        int target = 0;
        for (int o = 0; o < outer; o++) {
            int start = offset + (o * channels + channel) * inner;
            if (abs) {
                for (int i = 0; i < inner; i++) scratch[target++] = Math.abs(data[start + i]);
            } else {
                System.arraycopy(data, start, scratch, target, inner);
                target += inner;
            }
        }
    }

    private static void checkAxis(long[] shape, int channelAxis) {
        if (channelAxis >= shape.length) {
            throw new IllegalArgumentException("channel axis " + channelAxis + " is outside a tensor of rank "
                    + shape.length + " " + Arrays.toString(shape));
        }
    }

    /** The order statistics a numpy "linear" quantile of n values interpolates between. */
    public record Ranks(int n, double level, int lower, int upper, double fraction) {
        public Ranks(int n, double level) {
            this(n, level, (int) Math.floor(level * (n - 1)), Math.min((int) Math.floor(level * (n - 1)) + 1, n - 1),
                    level * (n - 1) - Math.floor(level * (n - 1)));
        }

        /** How many smallest values contain both ranks. */
        public int bottomKeep() {
            return upper + 1;
        }

        /** How many largest values contain both ranks. */
        public int topKeep() {
            return n - lower;
        }

        /** numpy's linear interpolation, as {@link Quantiles}. */
        public double interpolate(double a, double b) {
            return Quantiles.interpolate(a, b, fraction);
        }
    }

    /**
     * The {@code keep} most extreme values seen (smallest, or largest when {@code largest}), in a
     * sorted buffer; {@link #limit()} is the value a newcomer must beat, so the hot loop tests one
     * comparison per element and calls {@link #offer} only for the rare candidates.
     */
    static final class Extremes {
        private final boolean largest;
        private float[] buffer = new float[0];
        private int keep;
        private int filled;

        Extremes(boolean largest) {
            this.largest = largest;
        }

        void reset(int keep) {
            this.keep = keep;
            this.filled = 0;
            if (buffer.length < keep) buffer = new float[keep];
        }

        int keep() {
            return keep;
        }

        boolean complete() {
            return filled == keep;
        }

        /**
         * Pads a buffer that did not fill: it skipped only values that cannot beat the fill-phase
         * limit, i.e. +inf for a smallest-tracker and -inf for a largest-tracker, so padding with
         * them gives exactly the extreme values.
         */
        void finish() {
            while (filled < keep) buffer[filled++] = largest ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        }

        /** Inactive trackers never accept: -inf for smallest, +inf for largest. */
        float limit() {
            if (keep == 0) return largest ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            if (filled < keep) return largest ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
            return buffer[keep - 1];
        }

        /** Adds a candidate (it beats {@link #limit()}); returns the new limit. */
        float offer(float v) {
            if (filled == keep) filled--;  // the least extreme drops out
            int j = filled++;
            if (largest) {
                while (j > 0 && buffer[j - 1] < v) {
                    buffer[j] = buffer[j - 1];
                    j--;
                }
            } else {
                while (j > 0 && buffer[j - 1] > v) {
                    buffer[j] = buffer[j - 1];
                    j--;
                }
            }
            buffer[j] = v;
            return limit();
        }

        /**
         * The value of ascending rank {@code rank} for a smallest-tracker, or of descending rank
         * {@code rank} (0 = the largest) for a largest-tracker.
         */
        float value(int rank) {
            return buffer[rank];
        }
    }
}
