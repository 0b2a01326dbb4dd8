package org.pot4j.metric.similarity.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.metric.MetricAccumulator;
import org.pot4j.api.metric.MetricInput;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.tensor.Tensor;

class SimilarityMetricTest {
    private final SimilarityMetric metric = new SimilarityMetric();

    private MetricAccumulator create(Map<String, Object> values) {
        return metric.create(new Parameters(values, "engine.metrics[0]", null));
    }

    private static MetricInput input(int index, float[] output, float[] reference) {
        return new MetricInput(index, Tensor.ofFloats(new long[] {1, output.length}, output), null,
                reference == null ? null : Tensor.ofFloats(new long[] {1, reference.length}, reference));
    }

    /** Reference outputs and slightly perturbed "quantized" outputs, with the naive figures per sample. */
    private static final int SAMPLES = 200;
    private static final float[][] REFERENCE = new float[SAMPLES][10];
    private static final float[][] OUTPUT = new float[SAMPLES][10];

    static {
        Random random = new Random(7);
        for (int s = 0; s < SAMPLES; s++) {
            for (int c = 0; c < 10; c++) {
                REFERENCE[s][c] = (float) (random.nextGaussian() * 4);
                OUTPUT[s][c] = REFERENCE[s][c] + (float) (random.nextGaussian() * 0.1);
            }
        }
    }

    @Test
    void cosineIsTheMeanOfPerSampleCosines() {
        MetricAccumulator cosine = create(Map.of());
        assertEquals("similarity_cosine", cosine.name());
        assertTrue(cosine.higherIsBetter());
        double sum = 0;
        double[] expected = new double[SAMPLES];
        for (int s = 0; s < SAMPLES; s++) {
            cosine.update(input(s, OUTPUT[s], REFERENCE[s]));
            double dot = 0, a = 0, b = 0;
            for (int c = 0; c < 10; c++) {
                dot += OUTPUT[s][c] * (double) REFERENCE[s][c];
                a += OUTPUT[s][c] * (double) OUTPUT[s][c];
                b += REFERENCE[s][c] * (double) REFERENCE[s][c];
            }
            expected[s] = dot / (Math.sqrt(a) * Math.sqrt(b));
            sum += expected[s];
        }
        assertArrayEquals(expected, cosine.perSampleValues(), 1e-12);
        assertEquals(sum / SAMPLES, cosine.value(), 1e-12);
        assertTrue(cosine.value() > 0.99 && cosine.value() < 1, "value " + cosine.value());
    }

    @Test
    void sqnrAndMseAgainstNaiveSums() {
        MetricAccumulator sqnr = create(Map.of("type", "sqnr"));
        MetricAccumulator mse = create(Map.of("type", "mse"));
        assertEquals("similarity_sqnr", sqnr.name());
        assertEquals("similarity_mse", mse.name());
        assertTrue(sqnr.higherIsBetter());
        assertFalse(mse.higherIsBetter());
        double signal = 0, noise = 0;
        for (int s = 0; s < SAMPLES; s++) {
            sqnr.update(input(s, OUTPUT[s], REFERENCE[s]));
            mse.update(input(s, OUTPUT[s], REFERENCE[s]));
            double sampleSignal = 0, sampleNoise = 0;
            for (int c = 0; c < 10; c++) {
                double d = (double) REFERENCE[s][c] - OUTPUT[s][c];
                sampleSignal += REFERENCE[s][c] * (double) REFERENCE[s][c];
                sampleNoise += d * d;
            }
            assertEquals(10 * Math.log10(sampleSignal / sampleNoise), sqnr.perSampleValues()[s], 1e-9);
            assertEquals(sampleNoise / 10, mse.perSampleValues()[s], 1e-12);
            signal += sampleSignal;
            noise += sampleNoise;
        }
        assertEquals(10 * Math.log10(signal / noise), sqnr.value(), 1e-9);
        // noise sigma 0.1 on signal sigma 4: about 20*log10(40) = 32 dB, MSE about 0.01
        assertEquals(32, sqnr.value(), 1.5);
        assertEquals(noise / (SAMPLES * 10), mse.value(), 1e-12);
        assertEquals(0.01, mse.value(), 0.002);
    }

    @Test
    void identicalAndZeroOutputsStayFinite() {
        MetricAccumulator sqnr = create(Map.of("type", "sqnr"));
        MetricAccumulator cosine = create(Map.of("type", "cosine"));
        float[] same = {1, 2, 3};
        sqnr.update(input(0, same, same));
        cosine.update(input(0, same, same));
        cosine.update(input(1, new float[3], new float[3]));
        cosine.update(input(2, new float[3], same));
        assertEquals(SimilarityType.MAX_SQNR_DB, sqnr.value());
        assertArrayEquals(new double[] {1, 1, 0}, cosine.perSampleValues(), 1e-12);
    }

    @Test
    void badInputIsNamed() {
        assertTrue(metric.requiresReference());
        assertFalse(metric.requiresAnnotation());
        InvalidInputException type = assertThrows(InvalidInputException.class, () -> create(Map.of("type", "cosin")));
        assertEquals("engine.metrics[0].type", type.field());
        assertTrue(type.getMessage().contains("did you mean 'cosine'"), type.getMessage());
        InvalidInputException missing = assertThrows(InvalidInputException.class,
                () -> create(Map.of()).update(input(4, new float[2], null)));
        assertTrue(missing.getMessage().contains("sample 4 has no reference output"), missing.getMessage());
        assertThrows(InvalidInputException.class, () -> create(Map.of()).update(input(0, new float[2], new float[3])));
    }

    @Test
    void everyOutputIsComparedNotOnlyTheFirst() {
        // output 0 identical, output 1 reversed in sign: a metric reading output 0 alone would report 1.0
        Map<String, Tensor> outputs = new java.util.LinkedHashMap<>();
        outputs.put("logits", Tensor.ofFloats(new long[] {1, 2}, new float[] {1, 2}));
        outputs.put("hidden", Tensor.ofFloats(new long[] {1, 2}, new float[] {-3, -4}));
        Map<String, Tensor> reference = new java.util.LinkedHashMap<>();
        reference.put("logits", Tensor.ofFloats(new long[] {1, 2}, new float[] {1, 2}));
        reference.put("hidden", Tensor.ofFloats(new long[] {1, 2}, new float[] {3, 4}));
        MetricAccumulator cosine = create(Map.of());
        cosine.update(new MetricInput(0, outputs, null, reference));
        assertEquals(0.0, cosine.value(), 1e-9, "mean of the outputs' cosines, 1 and -1");
        MetricAccumulator mse = create(Map.of("type", "mse"));
        mse.update(new MetricInput(0, outputs, null, reference));
        assertEquals((36 + 64) / 4.0, mse.value(), 1e-9, "the elements of both outputs");
        reference.remove("hidden");
        MetricAccumulator missing = create(Map.of());
        InvalidInputException error = assertThrows(InvalidInputException.class,
                () -> missing.update(new MetricInput(0, outputs, null, reference)));
        assertTrue(error.getMessage().contains("'hidden'"), error.getMessage());
    }
}
