package org.pot4j.api.optimizer;

import java.util.Map;

/**
 * What one trial measured: the metrics of the trial's model and of the FP32 model on the same
 * samples, and its latency as a ratio to the FP32 model's measured in the same process
 * (INT8 / FP32: below 1 is faster), never an absolute time. {@code server} names the server that
 * measured it when that was another process (trials spread over a Kafka group), else null.
 */
public record TrialMeasurement(Map<String, Double> metrics, Map<String, Double> fp32Metrics,
                               Map<String, Boolean> higherIsBetter, double latencyRatio, double quantizedFraction,
                               double seconds, String server) {

    /** A trial measured in this process. */
    public TrialMeasurement(Map<String, Double> metrics, Map<String, Double> fp32Metrics,
                            Map<String, Boolean> higherIsBetter, double latencyRatio, double quantizedFraction,
                            double seconds) {
        this(metrics, fp32Metrics, higherIsBetter, latencyRatio, quantizedFraction, seconds, null);
    }
}
