package org.pot4j.orchestrator.internal.job;

import java.util.Arrays;
import java.util.List;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.data.Sample;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/** Stacks samples (no batch dimension) into a batch tensor, and slices batch outputs back per sample. */
final class Batches {

    private Batches() {
    }

    static Tensor stack(List<Sample> samples) {
        Tensor first = samples.get(0).input();
        long[] sampleShape = first.shape();
        int sampleSize = first.size();
        float[] data = new float[sampleSize * samples.size()];
        for (int i = 0; i < samples.size(); i++) {
            Tensor input = samples.get(i).input();
            if (!Arrays.equals(input.shape(), sampleShape)) {
                throw new InvalidInputException("dataset[" + samples.get(i).index() + "]", Arrays.toString(input.shape()),
                        "every sample must have the shape of the first one, " + Arrays.toString(sampleShape));
            }
            float[] values = input.type() == DataType.FLOAT ? input.floats() : input.toFloats();
            System.arraycopy(values, 0, data, i * sampleSize, sampleSize);
        }
        long[] shape = new long[sampleShape.length + 1];
        shape[0] = samples.size();
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        return Tensor.ofFloats(shape, data);
    }

    /** Sample {@code i} of a batch output, keeping a batch dimension of 1. */
    static Tensor slice(Tensor batch, int i) {
        long[] shape = batch.shape();
        int batchSize = (int) shape[0];
        int sampleSize = batch.size() / Math.max(batchSize, 1);
        float[] all = batch.type() == DataType.FLOAT ? batch.floats() : batch.toFloats();
        float[] part = Arrays.copyOfRange(all, i * sampleSize, (i + 1) * sampleSize);
        shape[0] = 1;
        return Tensor.ofFloats(shape, part);
    }
}
