package org.pot4j.stats;

import java.util.List;
import java.util.Map;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.stats.internal.FusedReduction;
import org.pot4j.stats.internal.GraphReductions;

/**
 * The reductions ONNX Runtime computed for one tensor and channel axis: each sample's values are
 * read from [B] / [B, C] outputs (quantiles: interpolated between TopK values as FusedReduction does).
 */
final class InGraphGroup extends GroupValues {
    final String tensor;
    final GraphReductions.Outputs outputs;

    /** Per-tensor values from per-channel outputs: min / max / mean over the channels. */
    final boolean collapse;
    /** The output whose dimension 1 is the width (looked up once: this runs per sample and group). */
    private String widthSource;
    private boolean widthFromExtremes;

    InGraphGroup(String tensor, GraphReductions.Outputs outputs, boolean collapse) {
        this.tensor = tensor;
        this.outputs = outputs;
        this.collapse = collapse;
    }

    void reduce(Map<String, Tensor> returned, int count, int indexInBatch, int sampleIndex, int sampleCount) {
        if (collapse) {
            reduceChannels(returned, count, indexInBatch, sampleIndex, sampleCount);
            return;
        }
        float[] mean = floats(returned, outputs.mean);
        int n = outputs.elementCount == null ? 0
                : Math.toIntExact(PassState.returned(returned, outputs.elementCount).toLongs()[0]);
        int sampleWidth = sampleWidth(returned, count);
        fixWidth(tensor, sampleWidth, sampleIndex, sampleCount);
        int at = indexInBatch * width, out = sampleIndex * width;
        // this sample's minima and maxima, read in place (no copy: this runs per sample and group)
        Located minima = extreme(returned, outputs.minFrom, outputs.min, at, width);
        Located maxima = extreme(returned, outputs.maxFrom, outputs.max, at, width);
        float[] min = minima.values(), max = maxima.values();
        int minAt = minima.at(), maxAt = maxima.at();
        for (int k = 0; k < specs.size(); k++) {
            FusedReduction.Spec spec = specs.get(k);
            float[] target = values[k];
            switch (spec.reducer()) {
                case MIN -> System.arraycopy(min, minAt, target, out, width);
                case MAX -> System.arraycopy(max, maxAt, target, out, width);
                case MEAN -> System.arraycopy(mean, at, target, out, width);
                case ABS_MAX -> {
                    for (int c = 0; c < width; c++) {
                        target[out + c] = Math.max(Math.abs(min[minAt + c]), Math.abs(max[maxAt + c]));
                    }
                }
                case QUANTILE, ABS_QUANTILE -> {
                    Tensor extremes = PassState.returned(returned, outputs.extremes.get(spec));
                    float[] sorted = extremes.type() == DataType.FLOAT ? extremes.floats() : extremes.toFloats();
                    int kept = Math.toIntExact(extremes.dim(extremes.rank() - 1));
                    FusedReduction.Ranks ranks = new FusedReduction.Ranks(n, spec.level());
                    boolean top = GraphReductions.fromTop(spec.level());
                    // ascending smallest values: ranks as they are; descending largest: counted from n - 1
                    int first = top ? n - 1 - ranks.lower() : ranks.lower();
                    int second = top ? n - 1 - ranks.upper() : ranks.upper();
                    if (Math.max(first, second) >= kept) {
                        throw new Pot4jException("BACKEND_ERROR", "TopK of " + tensor + " returned " + kept
                                + " values, quantile " + spec.level() + " of " + n + " needs rank "
                                + Math.max(first, second));
                    }
                    for (int c = 0; c < width; c++) {
                        int row = (at + c) * kept;
                        target[out + c] = (float) ranks.interpolate(sorted[row + first], sorted[row + second]);
                    }
                }
            }
        }
        // as the Java reduction (and numpy): a NaN in a channel makes all its statistics NaN; ORT's
        // ReduceMean propagates NaN, its ReduceMin/Max and TopK are not guaranteed to (see README)
        for (int c = 0; c < width; c++) {
            boolean nan = false;
            for (float[] row : values) nan |= Float.isNaN(row[out + c]);
            if (nan) {
                for (float[] row : values) row[out + c] = Float.NaN;
            }
        }
    }

    /**
     * One value per sample from the channels' min / max / mean (every channel holds the same number of
     * elements, so the mean of the channel means is the tensor's mean); a NaN in any channel makes the
     * sample's statistics NaN, as the per-tensor Java reducer does.
     */
    private void reduceChannels(Map<String, Tensor> returned, int count, int indexInBatch, int sampleIndex,
                                int sampleCount) {
        int channels = sampleWidth(returned, count);
        if (width < 0) {
            width = 1;
            for (int k = 0; k < values.length; k++) {
                values[k] = new float[sampleCount];
            }
        }
        int at = indexInBatch * channels;
        float[] mins = floats(returned, outputs.min);
        float[] maxs = floats(returned, outputs.max);
        float[] means = floats(returned, outputs.mean);
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        double sum = 0;
        boolean nan = false;
        for (int c = at; c < at + channels; c++) {
            if (mins != null) { min = Math.min(min, mins[c]); nan |= Float.isNaN(mins[c]); }
            if (maxs != null) { max = Math.max(max, maxs[c]); nan |= Float.isNaN(maxs[c]); }
            if (means != null) { sum += means[c]; nan |= Float.isNaN(means[c]); }
        }
        float mean = (float) (sum / channels);
        for (int k = 0; k < specs.size(); k++) {
            values[k][sampleIndex] = nan ? Float.NaN : switch (specs.get(k).reducer()) {
                case MIN -> min;
                case MAX -> max;
                case MEAN -> mean;
                case ABS_MAX -> Math.max(Math.abs(min), Math.abs(max));
                case QUANTILE, ABS_QUANTILE -> throw new IllegalStateException(
                        "quantiles of " + tensor + " are not served per channel");
            };
        }
    }

    private int sampleWidth(Map<String, Tensor> returned, int count) {
        if (widthSource == null) {
            List<String> batched = outputs.batched();
            if (batched.isEmpty()) {
                throw new IllegalStateException("an in-graph group without outputs: " + tensor);
            }
            widthSource = batched.get(0);
            widthFromExtremes = outputs.extremes.containsValue(widthSource);
        }
        Tensor output = PassState.returned(returned, widthSource);
        int rank = output.rank() - (widthFromExtremes ? 1 : 0); // TopK values have their K axis last
        return rank >= 2 ? Math.toIntExact(output.dim(1)) : 1;
    }

    /** Values and where this sample's first channel is among them. */
    private record Located(float[] values, int at) {
    }

    /** A sample's minima or maxima: element 0 of a quantile's TopK rows when {@code from} is set, else the reduction. */
    private Located extreme(Map<String, Tensor> returned, FusedReduction.Spec from, String reduced, int at, int width) {
        return from != null ? new Located(firstOfExtremes(returned, from, at, width), 0)
                : new Located(floats(returned, reduced), at);
    }

    /** Element 0 of TopK rows at .. at + width - 1: the minimum (ascending) or maximum (descending). */
    private float[] firstOfExtremes(Map<String, Tensor> returned, FusedReduction.Spec spec, int at, int width) {
        Tensor extremes = PassState.returned(returned, outputs.extremes.get(spec));
        float[] sorted = extremes.type() == DataType.FLOAT ? extremes.floats() : extremes.toFloats();
        int kept = Math.toIntExact(extremes.dim(extremes.rank() - 1));
        float[] first = new float[width];
        for (int c = 0; c < width; c++) first[c] = sorted[(at + c) * kept];
        return first;
    }

    private static float[] floats(Map<String, Tensor> returned, String name) {
        if (name == null) {
            return null;
        }
        Tensor output = PassState.returned(returned, name);
        return output.type() == DataType.FLOAT ? output.floats() : output.toFloats();
    }
}
