package org.pot4j.api.optimizer;

/**
 * How a trial is measured: the first {@code evalSubsetSize} validation samples (0: all), and the
 * latency benchmark ({@code batch} samples per run, {@code threads} intra-op threads, 0 for the
 * backend's default, for {@code seconds}, at most {@code iterations} runs).
 */
public record TrialSettings(int evalSubsetSize, int batch, int threads, double seconds, int iterations) {
}
