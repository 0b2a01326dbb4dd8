package org.pot4j.api.algorithm;

import java.util.Map;

/**
 * Metric values of one evaluation, keyed by metric name, with per-sample values (same order as
 * the evaluated sample indices) and the direction of each metric.
 */
public record EvaluationResult(Map<String, Double> values, Map<String, double[]> perSample,
                               Map<String, Boolean> higherIsBetter, int[] sampleIndices) {
}
