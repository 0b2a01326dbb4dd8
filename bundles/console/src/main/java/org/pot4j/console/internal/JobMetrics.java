package org.pot4j.console.internal;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind {@code /metrics}, rendered in the Prometheus text format (version 0.0.4): jobs ended by
 * state since the start, stage durations as a histogram, and gauges handed in at render time.
 */
final class JobMetrics {
    /** Upper bounds of the stage-duration buckets, seconds: a statistics pass to a long AccuracyAware stage. */
    static final double[] BUCKETS = {0.1, 0.5, 1, 5, 15, 60, 300, 1800};

    private final Map<String, LongAdder> ended = new TreeMap<>();
    private final AtomicLongArray bucketCounts = new AtomicLongArray(BUCKETS.length);
    private final LongAdder stageCount = new LongAdder();
    private final DoubleAdder stageSum = new DoubleAdder();

    synchronized void jobEnded(String state) {
        ended.computeIfAbsent(state, s -> new LongAdder()).increment();
    }

    void stageEnded(double seconds) {
        for (int i = 0; i < BUCKETS.length; i++) {
            if (seconds <= BUCKETS[i]) {
                bucketCounts.incrementAndGet(i);
            }
        }
        stageCount.increment();
        stageSum.add(seconds);
    }

    /** The whole exposition: {@code jobsByState} and {@code running} are the job list's state now. */
    synchronized String render(Map<String, Long> jobsByState, long running, int workers) {
        StringBuilder text = new StringBuilder();
        text.append("# HELP pot4j_jobs Jobs the console knows, by state.\n# TYPE pot4j_jobs gauge\n");
        new TreeMap<>(jobsByState).forEach((state, count) ->
                text.append("pot4j_jobs{state=\"").append(escape(state)).append("\"} ").append(count).append('\n'));
        text.append("# HELP pot4j_jobs_running Jobs started and not ended.\n# TYPE pot4j_jobs_running gauge\n");
        text.append("pot4j_jobs_running ").append(running).append('\n');
        text.append("# HELP pot4j_workers Jobs the job service runs at once.\n# TYPE pot4j_workers gauge\n");
        text.append("pot4j_workers ").append(workers).append('\n');
        text.append("# HELP pot4j_jobs_ended_total Jobs ended since the start, by final state.\n");
        text.append("# TYPE pot4j_jobs_ended_total counter\n");
        ended.forEach((state, count) -> text.append("pot4j_jobs_ended_total{state=\"").append(escape(state))
                .append("\"} ").append(count.sum()).append('\n'));
        text.append("# HELP pot4j_stage_duration_seconds Durations of job stages.\n");
        text.append("# TYPE pot4j_stage_duration_seconds histogram\n");
        for (int i = 0; i < BUCKETS.length; i++) {
            text.append("pot4j_stage_duration_seconds_bucket{le=\"").append(number(BUCKETS[i])).append("\"} ")
                    .append(bucketCounts.get(i)).append('\n');
        }
        text.append("pot4j_stage_duration_seconds_bucket{le=\"+Inf\"} ").append(stageCount.sum()).append('\n');
        text.append("pot4j_stage_duration_seconds_sum ").append(number(stageSum.sum())).append('\n');
        text.append("pot4j_stage_duration_seconds_count ").append(stageCount.sum()).append('\n');
        return text.toString();
    }

    static String number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%s", value);
    }

    /** Label values escape backslash, double quote and line feed. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
