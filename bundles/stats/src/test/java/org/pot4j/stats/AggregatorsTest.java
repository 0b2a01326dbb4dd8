package org.pot4j.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pot4j.api.statistics.Aggregator;

class AggregatorsTest {

    private static double naive(Aggregator aggregator, double[] values, double alpha) {
        return switch (aggregator) {
            case MEAN -> Naive.mean(values);
            case MAX -> Arrays.stream(values).max().orElseThrow();
            case MIN -> Arrays.stream(values).min().orElseThrow();
            case MEDIAN -> Naive.quantile(values, 0.5);
            case MEAN_NO_OUTLIERS -> Naive.mean(Naive.withoutOutliers(values, alpha));
            case MEDIAN_NO_OUTLIERS -> Naive.quantile(Naive.withoutOutliers(values, alpha), 0.5);
            case HL_ESTIMATOR -> Naive.hodgesLehmann(values);
        };
    }

    /** Per-sample values with a few large outliers, so the outlier-robust aggregators differ from plain ones. */
    private static List<float[]> perSample(int samples, int channels, long seed) {
        Random random = new Random(seed);
        List<float[]> rows = new ArrayList<>();
        for (int s = 0; s < samples; s++) {
            float[] row = new float[channels];
            for (int c = 0; c < channels; c++) {
                row[c] = (float) (c + random.nextGaussian());
                if (random.nextInt(50) == 0) row[c] += 40;
            }
            rows.add(row);
        }
        return rows;
    }

    @Test
    void everyAggregatorMatchesNaivePerChannel() {
        for (int samples : new int[] {1, 2, 5, 300}) {
            List<float[]> rows = perSample(samples, 4, samples);
            for (Aggregator aggregator : Aggregator.values()) {
                for (double outlierProb : new double[] {0.0, 0.05}) {
                    float[] result = Aggregators.aggregate(aggregator, rows, outlierProb);
                    double alpha = outlierProb > 0 ? outlierProb : Aggregators.POT_OUTLIER_ALPHA;
                    for (int c = 0; c < 4; c++) {
                        final int channel = c;
                        double[] column = rows.stream().mapToDouble(r -> r[channel]).toArray();
                        double expected = naive(aggregator, column, alpha);
                        assertEquals(expected, result[c], 1e-5 * Math.max(1, Math.abs(expected)),
                                aggregator + " samples " + samples + " alpha " + alpha + " channel " + c);
                    }
                }
            }
        }
    }

    @Test
    void outlierRobustAggregatorsIgnoreAnOutlier() {
        double[] values = new double[200];
        for (int i = 0; i < values.length; i++) values[i] = i % 10;
        values[17] = 1e6;
        double plain = Aggregators.aggregate(Aggregator.MEAN, values, 0);
        double robust = Aggregators.aggregate(Aggregator.MEAN_NO_OUTLIERS, values, 0);
        assertNotEquals(plain, robust);
        assertEquals(Naive.mean(Naive.withoutOutliers(values, 0.01)), robust, 1e-9);
        assertEquals(Naive.hodgesLehmann(values), Aggregators.aggregate(Aggregator.HL_ESTIMATOR, values, 0), 1e-9);
        assertEquals(4.5, Aggregators.aggregate(Aggregator.HL_ESTIMATOR, values, 0), 0.6);
    }

    @Test
    void flatLayoutEqualsListLayout() {
        List<float[]> rows = perSample(37, 3, 9);
        float[] flat = new float[37 * 3];
        for (int s = 0; s < 37; s++) System.arraycopy(rows.get(s), 0, flat, s * 3, 3);
        for (Aggregator aggregator : Aggregator.values()) {
            assertEquals(Arrays.toString(Aggregators.aggregate(aggregator, rows, 0)),
                    Arrays.toString(Aggregators.aggregate(aggregator, flat, 37, 3, 0)));
        }
    }

    /** Mean, max and min read the samples row by row: bit for bit what the one-channel aggregation gives. */
    @Test
    void rowByRowMeanMaxMinEqualTheChannelByChannelValuesExactly() {
        int samples = 300, width = 37;
        List<float[]> rows = perSample(samples, width, 3);
        rows.get(120)[5] = Float.NaN;
        float[] flat = new float[samples * width];
        for (int s = 0; s < samples; s++) System.arraycopy(rows.get(s), 0, flat, s * width, width);
        for (Aggregator aggregator : List.of(Aggregator.MEAN, Aggregator.MAX, Aggregator.MIN)) {
            float[] result = Aggregators.aggregate(aggregator, flat, samples, width, 0);
            for (int c = 0; c < width; c++) {
                double[] column = new double[samples];
                for (int s = 0; s < samples; s++) column[s] = flat[s * width + c];
                assertEquals((float) Aggregators.aggregate(aggregator, column, 0), result[c], 0f,
                        aggregator + " channel " + c);
            }
            assertEquals(Float.NaN, result[5], aggregator + ": a NaN sample makes the channel NaN");
        }
    }
}
