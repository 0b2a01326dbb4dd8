package org.pot4j.stats;

import java.util.Arrays;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.stats.internal.FusedReduction;

/** The reductions of one tensor with one channel axis, computed together in Java from the whole tensor. */
final class FusedGroup extends GroupValues {
    final String tensor;
    final int channelAxis;
    FusedReduction fused;

    FusedGroup(String tensor, int channelAxis) {
        this.tensor = tensor;
        this.channelAxis = channelAxis;
    }

    int slot(StatisticRequest request) {
        return slot(new FusedReduction.Spec(request.reducer(), request.quantile()));
    }

    @Override
    void prepare() {
        super.prepare();
        fused = new FusedReduction(specs);
    }

    void reduce(float[] data, int offset, long[] sampleShape, int sampleIndex, int sampleCount) {
        int sampleWidth;
        try {
            sampleWidth = FusedReduction.width(sampleShape, channelAxis);
        } catch (IllegalArgumentException badAxis) {
            throw new InvalidInputException("statistics.channel_axis", channelAxis, "an axis of tensor " + tensor
                    + " of shape " + Arrays.toString(sampleShape));
        }
        fixWidth(tensor, sampleWidth, sampleIndex, sampleCount);
        fused.reduce(data, offset, sampleShape, channelAxis, values, sampleIndex * width);
    }
}
