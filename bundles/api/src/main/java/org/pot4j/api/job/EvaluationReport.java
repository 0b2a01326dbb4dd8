package org.pot4j.api.job;

import java.util.Map;

/** Result of evaluating a model: metric values by name (accuracy as a fraction), samples used, wall time. */
public record EvaluationReport(String model, Map<String, Double> metrics, int samples, double seconds) {
}
