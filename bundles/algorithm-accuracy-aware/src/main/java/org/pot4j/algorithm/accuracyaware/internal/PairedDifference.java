package org.pot4j.algorithm.accuracyaware.internal;

import java.util.HashMap;
import java.util.Map;
import org.pot4j.api.algorithm.EvaluationResult;

/**
 * The noise of comparing two models by one metric: the standard error of the mean per-sample difference between
 * two evaluations, over the samples both evaluated (paired: the same samples, so what both get right or wrong
 * cancels out). Infinite when a side has no per-sample values or fewer than two samples are shared.
 */
final class PairedDifference {

    private PairedDifference() {
    }

    static double standardError(EvaluationResult a, EvaluationResult b, String metric) {
        double[] first = a.perSample().get(metric);
        double[] second = b.perSample().get(metric);
        if (first == null || second == null || first.length != a.sampleIndices().length
                || second.length != b.sampleIndices().length) {
            return Double.POSITIVE_INFINITY;
        }
        Map<Integer, Integer> position = new HashMap<>();
        for (int i = 0; i < b.sampleIndices().length; i++) {
            position.put(b.sampleIndices()[i], i);
        }
        int n = 0;
        double sum = 0;
        double squares = 0;
        for (int i = 0; i < first.length; i++) {
            Integer j = position.get(a.sampleIndices()[i]);
            if (j != null) {
                double d = first[i] - second[j];
                n++;
                sum += d;
                squares += d * d;
            }
        }
        if (n < 2) {
            return Double.POSITIVE_INFINITY;
        }
        double mean = sum / n;
        double variance = Math.max(0.0, (squares - n * mean * mean) / (n - 1));
        return Math.sqrt(variance / n);
    }
}
