package org.pot4j.orchestrator.internal.job;

import java.lang.reflect.Array;
import java.util.Arrays;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.tensor.Tensor;

/** Slices a batch's outputs back per sample, keeping each output's element type. */
final class Batches {

    private Batches() {
    }

    /** Sample {@code i} of output {@code name} of a batch of {@code count} samples, with a batch dimension of 1. */
    static Tensor slice(String name, Tensor batch, int i, int count) {
        long[] shape = batch.shape();
        if (shape.length == 0 || shape[0] != count) {
            throw new InvalidInputException("engine.batch_size", count, "1 for this model: its output '" + name
                    + "' has shape " + Arrays.toString(shape) + ", not one row per sample of a batch of " + count);
        }
        int sampleSize = batch.size() / count;
        Object part = Array.newInstance(batch.data().getClass().getComponentType(), sampleSize);
        System.arraycopy(batch.data(), i * sampleSize, part, 0, sampleSize);
        shape[0] = 1;
        return new Tensor(batch.type(), shape, part);
    }
}
