package org.pot4j.api.plan;

import java.util.Arrays;

/**
 * How one quantization point is quantized: integer grid {@code [levelLow, levelHigh]} of
 * {@code bits} bits, symmetric or asymmetric, per tensor ({@code axis} = -1) or per channel
 * along {@code axis}, and the float range {@code [min, max]} (one entry per channel, or one).
 * {@code rangeSource} says where the range came from (e.g. "mean of abs_max over 300 samples").
 */
public record Quantizer(int bits, boolean symmetric, int axis, long levelLow, long levelHigh,
                        float[] min, float[] max, String rangeSource) {

    public Quantizer {
        if (bits < 2 || bits > 16) {
            throw new IllegalArgumentException("bits must be 2..16, got " + bits);
        }
        if (levelLow >= levelHigh) {
            throw new IllegalArgumentException("level_low " + levelLow + " must be below level_high " + levelHigh);
        }
        min = min == null ? null : min.clone();
        max = max == null ? null : max.clone();
        if (min != null && max != null && min.length != max.length) {
            throw new IllegalArgumentException("min has " + min.length + " channels, max " + max.length);
        }
    }

    /** Grid of {@code bits}: signed symmetric is narrow (e.g. -127..127), the others full. */
    public static long[] levels(int bits, boolean signed, boolean symmetric) {
        if (signed) {
            long high = (1L << (bits - 1)) - 1;
            return new long[] {symmetric ? -high : -high - 1, high};
        }
        return new long[] {0, (1L << bits) - 1};
    }

    public boolean signed() {
        return levelLow < 0;
    }

    public boolean perChannel() {
        return axis >= 0;
    }

    public int channels() {
        return min == null ? 0 : min.length;
    }

    public boolean hasRange() {
        return min != null && max != null;
    }

    public Quantizer withRange(float[] newMin, float[] newMax, String source) {
        return new Quantizer(bits, symmetric, axis, levelLow, levelHigh, newMin, newMax, source);
    }

    public Quantizer withLevels(int newBits, long newLow, long newHigh) {
        return new Quantizer(newBits, symmetric, axis, newLow, newHigh, min, max, rangeSource);
    }

    /** Scale per channel: symmetric maps max|range| to the largest level, asymmetric maps [min,max] to the grid. */
    public float[] scales() {
        requireRange();
        float[] scale = new float[min.length];
        for (int c = 0; c < scale.length; c++) {
            float lo = Math.min(min[c], 0f);
            float hi = Math.max(max[c], 0f);
            double s;
            if (symmetric) {
                double absMax = Math.max(Math.abs(lo), Math.abs(hi));
                s = signed() ? absMax / levelHigh : hi / (double) (levelHigh - levelLow);
            } else {
                s = (hi - lo) / (double) (levelHigh - levelLow);
            }
            scale[c] = (float) (s > 0 && Double.isFinite(s) ? s : 1e-8);
        }
        return scale;
    }

    /** Zero point per channel: 0 for symmetric grids, the grid value of 0.0 for asymmetric. */
    public long[] zeroPoints() {
        requireRange();
        long[] zero = new long[min.length];
        if (!symmetric) {
            float[] scale = scales();
            for (int c = 0; c < zero.length; c++) {
                long z = Math.round(levelLow - Math.min(min[c], 0f) / (double) scale[c]);
                zero[c] = Math.max(levelLow, Math.min(levelHigh, z));
            }
        } else if (!signed()) {
            Arrays.fill(zero, levelLow);
        }
        return zero;
    }

    private void requireRange() {
        if (!hasRange()) {
            throw new IllegalStateException("quantizer has no range yet");
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Quantizer q && bits == q.bits && symmetric == q.symmetric && axis == q.axis
                && levelLow == q.levelLow && levelHigh == q.levelHigh && Arrays.equals(min, q.min)
                && Arrays.equals(max, q.max) && java.util.Objects.equals(rangeSource, q.rangeSource);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(bits, symmetric, axis, levelLow, levelHigh, Arrays.hashCode(min),
                Arrays.hashCode(max));
    }

    @Override
    public String toString() {
        return "Quantizer[" + bits + "bit " + (symmetric ? "sym" : "asym") + " [" + levelLow + "," + levelHigh + "]"
                + (axis >= 0 ? " axis " + axis : " per-tensor") + (hasRange() && min.length == 1
                ? " range [" + min[0] + "," + max[0] + "]" : "") + "]";
    }
}
