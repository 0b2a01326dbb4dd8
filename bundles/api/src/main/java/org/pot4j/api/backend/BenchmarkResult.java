package org.pot4j.api.backend;

/** Latency figures of repeated runs at one batch size, after warm-up. Times in milliseconds. */
public record BenchmarkResult(int batch, int iterations, double medianMs, double p90Ms, double p99Ms,
                              double meanMs, double samplesPerSecond) {
}
