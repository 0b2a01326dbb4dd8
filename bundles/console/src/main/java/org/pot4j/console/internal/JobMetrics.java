package org.pot4j.console.internal;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

import org.pot4j.api.monitor.MetricFamily;

/**
 * The counters behind {@code /metrics}, rendered in the Prometheus text format (version 0.0.4): jobs ended by
 * state since the start, statistics-cache look-ups by result, stage durations as a histogram, gauges handed in at
 * render time, and the families of the {@code MetricSource} services.
 */
final class JobMetrics {
    /** Upper bounds of the stage-duration buckets, seconds: a statistics pass to a long AccuracyAware stage. */
    static final double[] BUCKETS = {0.1, 0.5, 1, 5, 15, 60, 300, 1800};
    /** The results a statistics-cache look-up reports ({@code statistics_cache} of its STAGE event). */
    static final List<String> CACHE_RESULTS = List.of("hit", "partial", "miss");

    private final Map<String, LongAdder> ended = new TreeMap<>();
    private final Map<String, LongAdder> cache = new TreeMap<>();
    private final AtomicLongArray bucketCounts = new AtomicLongArray(BUCKETS.length);
    private final LongAdder stageCount = new LongAdder();
    private final DoubleAdder stageSum = new DoubleAdder();

    JobMetrics() {
        CACHE_RESULTS.forEach(result -> cache.put(result, new LongAdder()));
    }

    synchronized void jobEnded(String state) {
        ended.computeIfAbsent(state, s -> new LongAdder()).increment();
    }

    /** One statistics-cache look-up: {@code hit}, {@code partial} or {@code miss} (another value is not counted). */
    synchronized void statisticsCache(String result) {
        LongAdder counter = cache.get(result);
        if (counter != null) {
            counter.increment();
        }
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

    /**
     * The whole exposition: {@code jobsByState}, {@code running} and {@code queued} are the job list's state now,
     * {@code sources} the families other bundles contribute (a family whose name is taken is left out, said in a
     * comment).
     */
    synchronized String render(Map<String, Long> jobsByState, long running, long queued, int workers,
                               List<MetricFamily> sources) {
        StringBuilder text = new StringBuilder();
        Set<String> names = new HashSet<>();
        family(text, names, "pot4j_jobs", "Jobs the console knows (the recorded states of the group under serve),"
                + " by state.", "gauge");
        new TreeMap<>(jobsByState).forEach((state, count) ->
                sample(text, "pot4j_jobs", Map.of("state", state), count));
        family(text, names, "pot4j_jobs_running", "Jobs this server runs now (started, not ended).", "gauge");
        sample(text, "pot4j_jobs_running", Map.of(), running);
        family(text, names, "pot4j_queue_depth", "Jobs this server accepted that wait for a worker (requests not yet"
                + " read from Kafka: pot4j_kafka_consumer_lag).", "gauge");
        sample(text, "pot4j_queue_depth", Map.of(), queued);
        family(text, names, "pot4j_workers", "Jobs the job service runs at once.", "gauge");
        sample(text, "pot4j_workers", Map.of(), workers);
        family(text, names, "pot4j_jobs_ended_total", "Jobs of this server ended since its start, by final state.",
                "counter");
        ended.forEach((state, count) -> sample(text, "pot4j_jobs_ended_total", Map.of("state", state), count.sum()));
        family(text, names, "pot4j_statistics_cache_total", "Statistics-cache look-ups of this server's jobs, by"
                + " result (hit: all reused, partial: some, miss: none).", "counter");
        cache.forEach((result, count) ->
                sample(text, "pot4j_statistics_cache_total", Map.of("result", result), count.sum()));
        family(text, names, "pot4j_stage_duration_seconds", "Durations of this server's job stages.", "histogram");
        for (int i = 0; i < BUCKETS.length; i++) {
            sample(text, "pot4j_stage_duration_seconds_bucket", Map.of("le", number(BUCKETS[i])), bucketCounts.get(i));
        }
        sample(text, "pot4j_stage_duration_seconds_bucket", Map.of("le", "+Inf"), stageCount.sum());
        sample(text, "pot4j_stage_duration_seconds_sum", Map.of(), stageSum.sum());
        sample(text, "pot4j_stage_duration_seconds_count", Map.of(), stageCount.sum());
        for (MetricFamily source : sources) {
            if (names.contains(source.name())) {
                text.append("# pot4j: a second family ").append(source.name()).append(" is left out\n");
                continue;
            }
            family(text, names, source.name(), source.help(), source.type().name().toLowerCase(Locale.ROOT));
            for (MetricFamily.Sample s : source.samples()) {
                sample(text, source.name(), s.labels(), s.value());
            }
        }
        return text.toString();
    }

    private static void family(StringBuilder text, Set<String> names, String name, String help, String type) {
        names.add(name);
        text.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n"))
                .append('\n').append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder text, String name, Map<String, String> labels, double value) {
        text.append(name);
        if (!labels.isEmpty()) {
            text.append('{');
            String separator = "";
            for (Map.Entry<String, String> label : new TreeMap<>(labels).entrySet()) {
                text.append(separator).append(label.getKey()).append("=\"").append(escape(label.getValue()))
                        .append('"');
                separator = ",";
            }
            text.append('}');
        }
        text.append(' ').append(number(value)).append('\n');
    }

    static String number(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%s", value);
    }

    /** Label values escape backslash, double quote and line feed. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
