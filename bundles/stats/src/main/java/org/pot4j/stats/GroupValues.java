package org.pot4j.stats;

import java.util.ArrayList;
import java.util.List;
import org.pot4j.api.Pot4jException;
import org.pot4j.stats.internal.FusedReduction;

/**
 * The reducers of one tensor, each in a slot, and their per-sample values:
 * values()[slot][sample * width + channel].
 */
abstract class GroupValues {
    final List<FusedReduction.Spec> specs = new ArrayList<>();
    float[][] values;
    int width = -1;

    int slot(FusedReduction.Spec spec) {
        int index = specs.indexOf(spec);
        if (index < 0) {
            specs.add(spec);
            index = specs.size() - 1;
        }
        return index;
    }

    void prepare() {
        values = new float[specs.size()][];
    }

    final float[][] values() {
        return values;
    }

    /** The first sample sets the width (and sizes the per-sample storage); every later one must match it. */
    final void fixWidth(String tensor, int sampleWidth, int sampleIndex, int sampleCount) {
        if (width < 0) {
            width = sampleWidth;
            for (int k = 0; k < values.length; k++) {
                values[k] = new float[Math.multiplyExact(sampleCount, width)];
            }
        } else if (width != sampleWidth) {
            throw new Pot4jException("BACKEND_ERROR", "tensor " + tensor + " has " + sampleWidth
                    + " channels in sample " + sampleIndex + " but " + width + " before");
        }
    }

    final int width() {
        return width;
    }
}
