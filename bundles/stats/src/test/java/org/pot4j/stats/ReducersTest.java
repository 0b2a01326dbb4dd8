package org.pot4j.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.tensor.Tensor;

class ReducersTest {

    private static double naive(Reducer reducer, double[] values, double q) {
        return switch (reducer) {
            case MIN -> Arrays.stream(values).min().orElseThrow();
            case MAX -> Arrays.stream(values).max().orElseThrow();
            case ABS_MAX -> Arrays.stream(values).map(Math::abs).max().orElseThrow();
            case MEAN -> Naive.mean(values);
            case QUANTILE -> Naive.quantile(values, q);
            case ABS_QUANTILE -> Naive.quantile(Naive.abs(values), q);
        };
    }

    private static Tensor random(long[] shape, long seed) {
        Random random = new Random(seed);
        float[] data = new float[(int) Tensor.elementCount(shape)];
        for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextGaussian() * 3 + 0.5);
        return Tensor.ofFloats(shape, data);
    }

    private static void check(Tensor tensor, int axis) {
        long[] shape = tensor.shape();
        int channels = axis < 0 ? 1 : (int) shape[axis];
        for (Reducer reducer : Reducer.values()) {
            for (double q : new double[] {1e-4, 0.3, 1 - 1e-4}) {
                float[] reduced = Reducers.reduce(tensor, reducer, axis, q);
                assertEquals(channels, reduced.length, reducer + " axis " + axis);
                for (int c = 0; c < channels; c++) {
                    double expected = naive(reducer, Naive.channel(tensor.floats(), shape, axis, c), q);
                    assertEquals(expected, reduced[c], 1e-5 * Math.max(1, Math.abs(expected)),
                            reducer + " q=" + q + " axis " + axis + " channel " + c + " of " + Arrays.toString(shape));
                }
                if (reducer != Reducer.QUANTILE && reducer != Reducer.ABS_QUANTILE) break;
            }
        }
    }

    @Test
    void perTensorMatchesNaive() {
        check(random(new long[] {1, 8, 12, 12}, 11), -1);
        check(random(new long[] {1, 10}, 12), -1);
    }

    @Test
    void perChannelAxis1OfNchwMatchesNaive() {
        check(random(new long[] {1, 6, 9, 7}, 13), 1);
    }

    @Test
    void perChannelOtherAxesMatchNaive() {
        check(random(new long[] {1, 5, 4, 3}, 14), 3);   // NHWC-like, channels last
        check(random(new long[] {16, 3, 3, 3}, 15), 0);  // a conv weight per output channel
        check(random(new long[] {1, 7, 5}, 16), 2);
    }

    @Test
    void reducesASliceOfABatch() {
        Tensor batch = random(new long[] {3, 4, 5, 5}, 17);
        float[] slice = Arrays.copyOfRange(batch.floats(), 100, 200);
        float[] fromOffset = Reducers.reduce(batch.floats(), 100, new long[] {1, 4, 5, 5}, Reducer.ABS_QUANTILE, 1, 0.9);
        float[] fromCopy = Reducers.reduce(Tensor.ofFloats(new long[] {1, 4, 5, 5}, slice), Reducer.ABS_QUANTILE, 1, 0.9);
        assertTrue(Arrays.equals(fromCopy, fromOffset));
    }

    @Test
    void nanPoisonsOnlyItsChannel() {
        float[] data = {1, 2, Float.NaN, 4, 5, 6};
        for (Reducer reducer : Reducer.values()) {
            float[] reduced = Reducers.reduce(Tensor.ofFloats(new long[] {1, 3, 2}, data), reducer, 1, 0.5);
            assertTrue(Float.isNaN(reduced[1]), reducer + " channel with NaN");
            assertTrue(!Float.isNaN(reduced[0]) && !Float.isNaN(reduced[2]), reducer + " other channels");
        }
    }

    @Test
    void axisOutsideTheTensorIsRejected() {
        Tensor tensor = random(new long[] {1, 4}, 18);
        assertThrows(IllegalArgumentException.class, () -> Reducers.reduce(tensor, Reducer.MAX, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> Reducers.reduce(tensor, Reducer.QUANTILE, -1, 2.0));
    }
}
