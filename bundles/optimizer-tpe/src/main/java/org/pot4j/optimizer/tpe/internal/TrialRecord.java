package org.pot4j.optimizer.tpe.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One trial as the log keeps it: its choices and what was measured. The loss is not stored as the
 * truth: it is recomputed from the measurement with the run's own settings, so a warm start with
 * another {@code accuracy_loss} scores the old trials as it scores the new ones.
 */
record TrialRecord(int number, Map<String, String> choices, Map<String, Double> metrics,
                   Map<String, Double> fp32Metrics, double accuracyLoss, double latencyRatio,
                   double quantizedFraction, double seconds, boolean reference, boolean cached, String server) {

    static final String TYPE = "trial";

    /** FP32 latency / trial latency; NaN when latency was not measured. */
    double speedup() {
        return 1.0 / latencyRatio;
    }

    String key() {
        return new TreeMap<>(choices).toString();
    }

    Map<String, Object> toLog(String jobId, double loss) {
        Map<String, Object> log = new LinkedHashMap<>();
        log.put("type", TYPE);
        log.put("job_id", jobId);
        log.put("trial", number);
        log.put("reference", reference);
        log.put("cached", cached);
        log.put("accuracy_loss", accuracyLoss);
        log.put("latency_ratio", Double.isFinite(latencyRatio) ? latencyRatio : null);
        log.put("quantized_fraction", quantizedFraction);
        log.put("loss", loss);
        log.put("seconds", seconds);
        log.put("server", server);
        log.put("metrics", metrics);
        log.put("fp32_metrics", fp32Metrics);
        log.put("choices", new TreeMap<>(choices));
        return log;
    }

    static TrialRecord fromLog(Map<String, Object> log) {
        return new TrialRecord(((Number) log.get("trial")).intValue(), strings(log.get("choices")),
                numbers(log.get("metrics")), numbers(log.get("fp32_metrics")), number(log.get("accuracy_loss")),
                number(log.get("latency_ratio")), number(log.get("quantized_fraction")), number(log.get("seconds")),
                Boolean.TRUE.equals(log.get("reference")), Boolean.TRUE.equals(log.get("cached")),
                log.get("server") == null ? null : String.valueOf(log.get("server")));
    }

    private static double number(Object value) {
        return value instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static Map<String, String> strings(Object value) {
        Map<String, String> map = new LinkedHashMap<>();
        if (value instanceof Map<?, ?> given) {
            given.forEach((k, v) -> map.put(String.valueOf(k), String.valueOf(v)));
        }
        return map;
    }

    private static Map<String, Double> numbers(Object value) {
        Map<String, Double> map = new LinkedHashMap<>();
        if (value instanceof Map<?, ?> given) {
            given.forEach((k, v) -> map.put(String.valueOf(k), number(v)));
        }
        return map;
    }
}
