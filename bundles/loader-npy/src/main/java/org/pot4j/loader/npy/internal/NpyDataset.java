package org.pot4j.loader.npy.internal;

import java.util.Arrays;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.loader.support.Preprocessing;

/** The whole array in memory as float; get() copies one sample and preprocesses the copy (thread-safe). */
final class NpyDataset implements Dataset {
    private final float[] values;
    private final long[] sampleShape;
    private final int size;
    private final int sampleLength;
    private final long[] labels;
    private final Preprocessing preprocessing;
    private final int channels;
    private final boolean channelsLast;
    private final String identity;

    NpyDataset(float[] values, long[] sampleShape, int size, long[] labels, Preprocessing preprocessing, int channels,
               boolean channelsLast, String identity) {
        this.values = values;
        this.sampleShape = sampleShape;
        this.size = size;
        this.sampleLength = (int) Tensor.elementCount(sampleShape);
        this.labels = labels;
        this.preprocessing = preprocessing;
        this.channels = Math.max(1, channels);
        this.channelsLast = channelsLast;
        this.identity = identity;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Sample get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("sample " + index + " of an npy dataset of size " + size);
        }
        int start = index * sampleLength;
        float[] sample = Arrays.copyOfRange(values, start, start + sampleLength);
        preprocessing.applyValues(sample, channels, channelsLast);
        return new Sample(index, Tensor.ofFloats(sampleShape, sample), labels == null ? null : (int) labels[index]);
    }

    @Override
    public boolean annotated() {
        return labels != null;
    }

    /** SHA-256 of the files' bytes, the array key, the preprocessing and the layout (computed at open). */
    @Override
    public String identity() {
        return identity;
    }
}
