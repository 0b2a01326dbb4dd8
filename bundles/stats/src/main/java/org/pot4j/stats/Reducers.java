package org.pot4j.stats;

import java.util.List;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.stats.internal.FusedReduction;

/**
 * POT's per-sample reducers on one sample's activation (shape with batch dimension 1, e.g.
 * [1, C, H, W]): the reduction runs over every axis except {@code channelAxis}, or over all
 * elements when {@code channelAxis} is -1. Quantile levels use {@link Quantiles} (numpy "linear").
 * A NaN in a channel makes that channel's value NaN.
 */
public final class Reducers {

    private Reducers() {
    }

    /** The reduced values: one per channel along {@code channelAxis}, or a single value. */
    public static float[] reduce(Tensor activation, Reducer reducer, int channelAxis, double quantile) {
        float[] data = activation.type() == DataType.FLOAT ? activation.floats() : activation.toFloats();
        return reduce(data, 0, activation.shape(), reducer, channelAxis, quantile);
    }

    /** As {@link #reduce(Tensor, Reducer, int, double)} on {@code data[offset, offset + elementCount(shape))}. */
    public static float[] reduce(float[] data, int offset, long[] shape, Reducer reducer, int channelAxis,
                                 double quantile) {
        if (reducer == Reducer.QUANTILE || reducer == Reducer.ABS_QUANTILE) {
            if (!(quantile >= 0 && quantile <= 1)) {
                throw new IllegalArgumentException("quantile level " + quantile + " is outside [0, 1]");
            }
        }
        float[][] out = {new float[FusedReduction.width(shape, channelAxis)]};
        new FusedReduction(List.of(new FusedReduction.Spec(reducer, quantile))).reduce(data, offset, shape,
                channelAxis, out, 0);
        return out[0];
    }
}
