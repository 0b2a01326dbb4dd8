package org.pot4j.stats.internal;

import java.util.Arrays;
import java.util.List;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.stats.Quantiles;

/**
 * Computes several reducers of one sample's activation together: min, max, abs_max and mean in one
 * pass over the data, quantiles by selection on one copy (raw or absolute) per channel. Holds
 * scratch buffers, so one instance serves one thread.
 */
public final class FusedReduction {

    /** One reducer to compute; {@code level} is the quantile level (ignored by the others). */
    public record Spec(Reducer reducer, double level) {
    }

    private final Spec[] specs;
    private final boolean needsRaw;
    private final boolean needsAbs;
    /** Above this many extreme ranks a copy and a selection are cheaper than the streaming buffer. */
    static final int EXTREME_LIMIT = 64;

    private float[] scratch = new float[0];
    private float[] extremeBuffer = new float[0];

    public FusedReduction(List<Spec> specs) {
        this.specs = specs.toArray(new Spec[0]);
        boolean raw = false, abs = false;
        for (Spec spec : this.specs) {
            raw |= spec.reducer() == Reducer.QUANTILE;
            abs |= spec.reducer() == Reducer.ABS_QUANTILE;
        }
        this.needsRaw = raw;
        this.needsAbs = abs;
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
        int perChannel = outer * inner;
        if (perChannel == 0) {
            throw new IllegalArgumentException("cannot reduce an empty tensor of shape " + Arrays.toString(shape));
        }

        // pass 1: min, max, sum per channel, in memory order
        float[] min = new float[channels], max = new float[channels];
        double[] sum = new double[channels];
        Arrays.fill(min, Float.POSITIVE_INFINITY);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        int index = offset;
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                float lo = min[c], hi = max[c];
                double s = 0;
                for (int i = 0; i < inner; i++) {
                    float v = data[index++];
                    if (v < lo) lo = v;
                    if (v > hi) hi = v;
                    s += v;
                }
                min[c] = lo;
                max[c] = hi;
                sum[c] += s;
            }
        }

        if (needsRaw || needsAbs) {
            if (scratch.length < perChannel) {
                scratch = new float[perChannel];
            }
        }
        for (int c = 0; c < channels; c++) {
            // a NaN makes the comparisons above skip it but poisons the sum: report NaN, as numpy would
            boolean nan = Double.isNaN(sum[c]) && containsNaN(data, offset, outer, channels, inner, c);
            if (nan) {
                for (int k = 0; k < specs.length; k++) out[k][outOffset + c] = Float.NaN;
                continue;
            }
            boolean rawCopied = false, absCopied = false;
            // raw quantiles first, then overwrite the scratch with absolute values
            for (int k = 0; k < specs.length; k++) {
                Spec spec = specs[k];
                float value;
                switch (spec.reducer()) {
                    case MIN: value = min[c]; break;
                    case MAX: value = max[c]; break;
                    case ABS_MAX: value = Math.max(Math.abs(min[c]), Math.abs(max[c])); break;
                    case MEAN: value = (float) (sum[c] / perChannel); break;
                    case QUANTILE:
                        if (extremeRanks(perChannel, spec.level()) <= EXTREME_LIMIT) {
                            value = (float) extremeQuantile(data, offset, outer, channels, inner, c, false,
                                    perChannel, spec.level());
                            break;
                        }
                        if (!rawCopied) {
                            gather(data, offset, outer, channels, inner, c, false);
                            rawCopied = true;
                        }
                        value = (float) Quantiles.selectInPlace(scratch, perChannel, spec.level());
                        break;
                    default:
                        continue;
                }
                out[k][outOffset + c] = value;
            }
            for (int k = 0; k < specs.length; k++) {
                if (specs[k].reducer() == Reducer.ABS_QUANTILE) {
                    if (extremeRanks(perChannel, specs[k].level()) <= EXTREME_LIMIT) {
                        out[k][outOffset + c] = (float) extremeQuantile(data, offset, outer, channels, inner, c, true,
                                perChannel, specs[k].level());
                        continue;
                    }
                    if (!absCopied) {
                        gather(data, offset, outer, channels, inner, c, true);
                        absCopied = true;
                    }
                    out[k][outOffset + c] = (float) Quantiles.selectInPlace(scratch, perChannel, specs[k].level());
                }
            }
        }
    }

    /**
     * How many of the smallest or largest elements determine the q-quantile of n values (the
     * fewer of the two). POT's quantiles (1e-4, 1 - 1e-4) need only a handful, found in one
     * streaming pass with a tiny sorted buffer instead of a copy and a selection.
     */
    static int extremeRanks(int n, double q) {
        double position = q * (n - 1);
        int lower = (int) Math.floor(position);
        int upper = Math.min(lower + 1, n - 1);
        return Math.min(upper + 1, n - lower);
    }

    private double extremeQuantile(float[] data, int offset, int outer, int channels, int inner, int channel,
                                   boolean abs, int n, double q) {
        double position = q * (n - 1);
        int lower = (int) Math.floor(position);
        double fraction = position - lower;
        int upper = Math.min(lower + 1, n - 1);
        boolean fromBottom = upper + 1 <= n - lower;
        int keep = fromBottom ? upper + 1 : n - lower;
        // buffer sorted so that buffer[0] is the most extreme; 'sign' turns "largest" into "smallest"
        float sign = fromBottom ? 1f : -1f;
        float[] buffer = extremeBuffer.length >= keep ? extremeBuffer : (extremeBuffer = new float[keep]);
        int filled = 0;
        for (int o = 0; o < outer; o++) {
            int start = offset + (o * channels + channel) * inner;
            for (int i = 0; i < inner; i++) {
                float raw = data[start + i];
                float v = sign * (abs ? Math.abs(raw) : raw);
                if (filled == keep) {
                    if (v >= buffer[keep - 1]) continue;
                    filled--;
                }
                int j = filled++;
                while (j > 0 && buffer[j - 1] > v) {
                    buffer[j] = buffer[j - 1];
                    j--;
                }
                buffer[j] = v;
            }
        }
        double a, b;
        if (fromBottom) {
            a = buffer[lower];
            b = buffer[upper];
        } else {  // the keep-th largest has rank lower; rank upper is one closer to the top
            a = -buffer[keep - 1];
            b = -buffer[keep - 1 - (upper - lower)];
        }
        if (fraction == 0.0) {
            return a;
        }
        double difference = b - a;  // numpy's linear interpolation, as Quantiles
        return fraction >= 0.5 ? b - difference * (1.0 - fraction) : a + difference * fraction;
    }

    private void gather(float[] data, int offset, int outer, int channels, int inner, int channel, boolean abs) {
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

    private static boolean containsNaN(float[] data, int offset, int outer, int channels, int inner, int channel) {
        for (int o = 0; o < outer; o++) {
            int start = offset + (o * channels + channel) * inner;
            for (int i = 0; i < inner; i++) {
                if (Float.isNaN(data[start + i])) return true;
            }
        }
        return false;
    }

    private static void checkAxis(long[] shape, int channelAxis) {
        if (channelAxis >= shape.length) {
            throw new IllegalArgumentException("channel axis " + channelAxis + " is outside a tensor of rank "
                    + shape.length + " " + Arrays.toString(shape));
        }
    }
}
