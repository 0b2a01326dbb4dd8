package org.pot4j.metric.accuracy.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Comparator;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.metric.MetricAccumulator;
import org.pot4j.api.metric.MetricInput;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.tensor.Tensor;

class AccuracyMetricTest {
    private final AccuracyMetric metric = new AccuracyMetric();

    private MetricAccumulator create(Map<String, Object> values) {
        return metric.create(new Parameters(values, "engine.metrics[0]", null));
    }

    private static MetricInput input(int index, Integer label, float... logits) {
        return new MetricInput(index, Tensor.ofFloats(new long[] {1, logits.length}, logits), label, null);
    }

    @Test
    void top1OnHandMadeLogits() {
        MetricAccumulator accuracy = create(Map.of());
        assertEquals("accuracy", accuracy.name());
        assertTrue(accuracy.higherIsBetter());
        accuracy.update(input(0, 2, 0.1f, 0.2f, 3.0f));  // right
        accuracy.update(input(1, 0, 0.1f, 0.2f, 3.0f));  // wrong
        accuracy.update(input(2, 1, -5f, -1f, -2f));     // right with negative logits
        accuracy.update(input(3, 1, 1f, 1f, 0f));        // tie: argmax picks class 0, so wrong
        assertEquals(0.5, accuracy.value(), 0);
        assertArrayEquals(new double[] {1, 0, 1, 0}, accuracy.perSampleValues());
    }

    @Test
    void topKAgreesWithSortingOnRandomLogits() {
        Random random = new Random(42);
        for (int k : new int[] {1, 3, 5}) {
            MetricAccumulator accuracy = create(Map.of("top_k", k));
            assertEquals(k == 1 ? "accuracy" : "accuracy@top" + k, accuracy.name());
            int expectedCorrect = 0;
            double[] expectedPerSample = new double[500];
            for (int i = 0; i < 500; i++) {
                float[] logits = new float[10];
                for (int c = 0; c < 10; c++) {
                    logits[c] = (float) random.nextGaussian();
                }
                int label = random.nextInt(10);
                int[] order = IntStream.range(0, 10).boxed()
                        .sorted(Comparator.comparingDouble((Integer c) -> -logits[c])).mapToInt(c -> c).toArray();
                boolean hit = IntStream.of(order).limit(k).anyMatch(c -> c == label);
                expectedPerSample[i] = hit ? 1 : 0;
                expectedCorrect += hit ? 1 : 0;
                accuracy.update(input(i, label, logits));
            }
            assertEquals(expectedCorrect / 500.0, accuracy.value(), 1e-12);
            assertArrayEquals(expectedPerSample, accuracy.perSampleValues());
        }
    }

    @Test
    void flatOutputAndNanScore() {
        MetricAccumulator accuracy = create(Map.of());
        accuracy.update(new MetricInput(0, Tensor.ofFloats(new long[] {3}, new float[] {0, 5, 1}), 1, null));
        accuracy.update(input(1, 0, Float.NaN, 0f, 0f));
        assertArrayEquals(new double[] {1, 0}, accuracy.perSampleValues());
    }

    @Test
    void badInputIsNamed() {
        assertTrue(metric.requiresAnnotation());
        assertFalse(metric.requiresReference());
        InvalidInputException missing = assertThrows(InvalidInputException.class,
                () -> create(Map.of()).update(input(7, null, 1f, 2f)));
        assertTrue(missing.getMessage().contains("sample 7 has no label"), missing.getMessage());
        assertTrue(missing.getMessage().contains("annotated"), missing.getMessage());

        InvalidInputException typo = assertThrows(InvalidInputException.class, () -> create(Map.of("topk", 5)));
        assertEquals("engine.metrics[0].topk", typo.field());
        assertTrue(typo.getMessage().contains("did you mean 'top_k'"), typo.getMessage());

        assertEquals("engine.metrics[0].top_k",
                assertThrows(InvalidInputException.class, () -> create(Map.of("top_k", 0))).field());
        assertEquals("engine.metrics[0].top_k", assertThrows(InvalidInputException.class,
                () -> create(Map.of("top_k", 5)).update(input(0, 0, 1f, 2f))).field());
        InvalidInputException range = assertThrows(InvalidInputException.class,
                () -> create(Map.of()).update(input(3, 10, new float[10])));
        assertTrue(range.getMessage().contains("0..9"), range.getMessage());
        assertThrows(InvalidInputException.class, () -> create(Map.of()).update(
                new MetricInput(0, Tensor.ofFloats(new long[] {2, 2}, new float[4]), 0, null)));
    }

    @Test
    void labelOutOfRangeSaysWhichDatasetAndWhereItsLabelsComeFrom() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> create(Map.of()).update(input(0, 200, new float[10])));
        assertEquals("label of sample 0 of the evaluation dataset", e.field());
        assertEquals("200", e.value());
        assertTrue(e.allowed().contains("0..9"), e.allowed());
        assertTrue(e.allowed().contains("engine.dataset"), e.allowed());
        assertTrue(e.allowed().contains("labels"), e.allowed());
    }

    @Test
    void topKBeyondIntIsAnErrorNotAWrap() {
        // (int) 4294967297L == 1: this used to become a top-1 accuracy
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> create(Map.of("top_k", 4294967297L)));
        assertEquals("engine.metrics[0].top_k", e.field());
        assertEquals("4294967297", e.value());
        assertTrue(e.allowed().contains("number of classes"), e.allowed());
    }
}
