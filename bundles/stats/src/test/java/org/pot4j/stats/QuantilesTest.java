package org.pot4j.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class QuantilesTest {

    private static final double[] LEVELS = {0, 1e-4, 0.01, 0.25, 0.5, 0.5 + 1e-9, 0.75, 0.99, 1 - 1e-4, 1};

    @Test
    void matchesSortedLinearInterpolationOnRandomData() {
        Random random = new Random(1);
        for (int length : new int[] {1, 2, 3, 7, 100, 1001, 25088}) {
            float[] values = new float[length];
            for (int i = 0; i < length; i++) values[i] = (float) random.nextGaussian();
            double[] asDoubles = new double[length];
            for (int i = 0; i < length; i++) asDoubles[i] = values[i];
            for (double q : LEVELS) {
                double expected = Naive.quantile(asDoubles, q);
                assertEquals(expected, Quantiles.quantile(values, q), 1e-6, "float n=" + length + " q=" + q);
                assertEquals(expected, Quantiles.quantile(asDoubles, q), 1e-12, "double n=" + length + " q=" + q);
            }
        }
    }

    @Test
    void handlesHeavyTiesLikeReluOutputs() {
        Random random = new Random(2);
        float[] values = new float[5000];
        double[] asDoubles = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt(10) < 7 ? 0f : random.nextInt(4);
            asDoubles[i] = values[i];
        }
        for (double q : LEVELS) {
            assertEquals(Naive.quantile(asDoubles, q), Quantiles.quantile(values, q), 0, "q=" + q);
        }
    }

    @Test
    void successiveSelectionsOnOneArrayStayExact() {
        Random random = new Random(3);
        float[] values = new float[999];
        double[] asDoubles = new double[values.length];
        for (int i = 0; i < values.length; i++) asDoubles[i] = values[i] = random.nextFloat() * 10 - 5;
        for (double q : new double[] {0.9, 0.1, 0.5, 1e-4, 1 - 1e-4}) {
            assertEquals(Naive.quantile(asDoubles, q), Quantiles.selectInPlace(values, values.length, q), 1e-6);
        }
    }

    @Test
    void nextToAnInfiniteRankTheResultIsThatInfinity() {
        float[] values = {Float.NEGATIVE_INFINITY, 1, 2, Float.POSITIVE_INFINITY};
        assertEquals(Double.NEGATIVE_INFINITY, Quantiles.quantile(values, 0.1));
        assertEquals(Double.POSITIVE_INFINITY, Quantiles.quantile(values, 0.9));
        assertEquals(1.5, Quantiles.quantile(values, 0.5), 1e-12);
        assertEquals(Double.POSITIVE_INFINITY, Quantiles.interpolate(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 0.3));
    }

    @Test
    void nanGivesNanAndBadLevelsAreRejected() {
        assertTrue(Double.isNaN(Quantiles.quantile(new float[] {1, Float.NaN, 3}, 0.5)));
        assertThrows(IllegalArgumentException.class, () -> Quantiles.quantile(new float[] {1}, 1.5));
        assertThrows(IllegalArgumentException.class, () -> Quantiles.quantile(new float[0], 0.5));
    }
}
