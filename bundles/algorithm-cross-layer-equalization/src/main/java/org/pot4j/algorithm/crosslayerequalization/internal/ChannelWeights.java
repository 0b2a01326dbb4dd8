package org.pot4j.algorithm.crosslayerequalization.internal;

import java.util.function.IntConsumer;
import org.pot4j.api.graph.Node;
import org.pot4j.model.Layers;

/**
 * Element access to a Conv or Gemm weight by output channel and by input channel, on a working
 * copy of its values. Conv weights are [O, I/group, k...]; Gemm weights [N, K] with transB, else [K, N].
 */
final class ChannelWeights {
    final float[] values;
    private final boolean conv;
    private final boolean transB;
    private final long[] shape;
    private final int group;

    ChannelWeights(Node node, long[] shape, float[] values) {
        this.values = values;
        this.shape = shape;
        this.conv = node.opType().equals("Conv");
        this.transB = Layers.transB(node);
        this.group = (int) node.intAttribute("group", 1);
    }

    /** Visits every element index of output channel {@code o}. */
    void forOutput(int o, IntConsumer visit) {
        if (conv || transB) {
            int block = values.length / (int) shape[0];
            for (int i = o * block; i < (o + 1) * block; i++) {
                visit.accept(i);
            }
        } else {
            int n = (int) shape[1];
            for (int i = o; i < values.length; i += n) {
                visit.accept(i);
            }
        }
    }

    /** Visits every element index that reads input column {@code column}. */
    void forInput(int column, IntConsumer visit) {
        if (conv) {
            int perGroupIn = (int) shape[1];
            int out = (int) shape[0];
            int outPerGroup = out / group;
            int kernel = values.length / (out * perGroupIn);
            int g = column / perGroupIn;
            int local = column % perGroupIn;
            for (int o = g * outPerGroup; o < (g + 1) * outPerGroup; o++) {
                int base = (o * perGroupIn + local) * kernel;
                for (int k = 0; k < kernel; k++) {
                    visit.accept(base + k);
                }
            }
        } else if (transB) {
            int k = (int) shape[1];
            for (int i = column; i < values.length; i += k) {
                visit.accept(i);
            }
        } else {
            int n = (int) shape[1];
            for (int i = column * n; i < (column + 1) * n; i++) {
                visit.accept(i);
            }
        }
    }

    /** max |w| over each output channel. */
    float[] outputRanges(int channels) {
        float[] range = new float[channels];
        for (int c = 0; c < channels; c++) {
            int channel = c;
            forOutput(c, i -> range[channel] = Math.max(range[channel], Math.abs(values[i])));
        }
        return range;
    }

    /** max |w| over the {@code spatial} input columns of each channel. */
    float[] inputRanges(int channels, int spatial) {
        float[] range = new float[channels];
        for (int c = 0; c < channels; c++) {
            int channel = c;
            for (int p = 0; p < spatial; p++) {
                forInput(c * spatial + p, i -> range[channel] = Math.max(range[channel], Math.abs(values[i])));
            }
        }
        return range;
    }

    void divideOutputs(double[] scale) {
        for (int c = 0; c < scale.length; c++) {
            double s = scale[c];
            forOutput(c, i -> values[i] = (float) (values[i] / s));
        }
    }

    void multiplyInputs(double[] scale, int spatial) {
        for (int c = 0; c < scale.length; c++) {
            double s = scale[c];
            for (int p = 0; p < spatial; p++) {
                forInput(c * spatial + p, i -> values[i] = (float) (values[i] * s));
            }
        }
    }
}
