package org.pot4j.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.stats.internal.FusedReduction;

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

    /** All reducers and many quantile levels at once (streaming extremes and selection), ReLU-like ties. */
    @Test
    void fusedReductionOfManyLevelsMatchesNaive() {
        Random random = new Random(19);
        long[] shape = {1, 3, 40, 50};
        float[] data = new float[3 * 2000];
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextInt(3) == 0 ? 0f : (float) (random.nextGaussian() * 2);
        }
        data[17] = Float.POSITIVE_INFINITY;   // channel 0: infinities at both ends
        data[18] = Float.NEGATIVE_INFINITY;
        double[] levels = {0, 1e-4, 0.005, 0.0315, 0.0325, 0.3, 0.5, 0.9675, 0.9685, 0.995, 1 - 1e-4, 1};
        List<FusedReduction.Spec> specs = new ArrayList<>();
        for (Reducer reducer : List.of(Reducer.MIN, Reducer.MAX, Reducer.ABS_MAX, Reducer.MEAN)) {
            specs.add(new FusedReduction.Spec(reducer, 0));
        }
        for (double level : levels) {
            specs.add(new FusedReduction.Spec(Reducer.QUANTILE, level));
            specs.add(new FusedReduction.Spec(Reducer.ABS_QUANTILE, level));
        }
        for (int axis : new int[] {-1, 1}) {
            int channels = axis < 0 ? 1 : 3;
            float[][] out = new float[specs.size()][channels];
            new FusedReduction(specs).reduce(data, 0, shape, axis, out, 0);
            for (int c = 0; c < channels; c++) {
                double[] values = Naive.channel(data, shape, axis, c);
                for (int k = 0; k < specs.size(); k++) {
                    double expected = naive(specs.get(k).reducer(), values, specs.get(k).level());
                    String what = specs.get(k) + " axis " + axis + " channel " + c;
                    if (Double.isNaN(expected) && specs.get(k).reducer() == Reducer.MEAN) {
                        assertTrue(Float.isNaN(out[k][c]), what + ": +inf and -inf average to NaN");
                    } else if (Double.isNaN(expected)) {
                        // the plain a + (b - a) * t gives inf - inf next to an infinite rank; numpy's
                        // lerp (and ours) gives the infinity
                        assertTrue(Float.isInfinite(out[k][c]), what + ": " + out[k][c]);
                    } else if (Double.isInfinite(expected)) {
                        assertEquals(expected, out[k][c], what);
                    } else {
                        assertEquals(expected, out[k][c], 1e-5 * Math.max(1, Math.abs(expected)), what);
                    }
                }
            }
        }
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
