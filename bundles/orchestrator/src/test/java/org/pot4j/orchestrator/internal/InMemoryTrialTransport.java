package org.pot4j.orchestrator.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.optimizer.TrialChannel;
import org.pot4j.api.optimizer.TrialMeasurement;
import org.pot4j.api.optimizer.TrialRunner;
import org.pot4j.api.optimizer.TrialTransport;

/**
 * The Kafka transport's protocol in one process, for the job service's tests: trials are measured by the real
 * {@link TrialRunner} (the job service itself) on {@code workers} threads, finishing in any order; the logs live in
 * memory, one entry per key as on the compacted topic ({@code space}, {@code trial-NNNNNN}, {@code end}); a trial
 * is written {@code proposed} before it is measured and its result replaces that entry.
 */
final class InMemoryTrialTransport implements TrialTransport, AutoCloseable {
    final Map<String, Map<String, Map<String, Object>>> logs = new LinkedHashMap<>();
    private final TrialRunner runner;
    private final int workers;
    private final ExecutorService pool;

    InMemoryTrialTransport(TrialRunner runner, int workers) {
        this.runner = runner;
        this.workers = workers;
        this.pool = Executors.newFixedThreadPool(workers);
    }

    synchronized Map<String, Map<String, Object>> log(String logId) {
        return logs.computeIfAbsent(logId, id -> new TreeMap<>());
    }

    static String entry(Map<String, Object> record) {
        return switch (String.valueOf(record.get("type"))) {
            case "search_space" -> "space";
            case "end" -> "end";
            default -> String.format("trial-%06d", ((Number) record.get("trial")).intValue());
        };
    }

    @Override
    public TrialChannel open(JobRequest request, String logId) {
        Map<String, Map<String, Object>> log = log(logId);
        return new TrialChannel() {
            @Override
            public int parallelism() {
                return workers;
            }

            @Override
            public CompletableFuture<TrialMeasurement> measure(int number, Map<String, String> choices,
                                                               org.pot4j.api.optimizer.TrialSettings settings) {
                synchronized (log) {
                    log.put(entry(Map.of("type", "trial", "trial", number)), new LinkedHashMap<>(Map.of("type",
                            "proposed", "trial", number, "choices", new TreeMap<>(choices))));
                }
                return CompletableFuture.supplyAsync(() -> {
                    try {
                        Thread.sleep((number * 37L) % 90); // trials finish out of order
                        TrialMeasurement m = runner.measure(request, choices, settings);
                        Map<String, Object> result = new LinkedHashMap<>();
                        result.put("type", "trial");
                        result.put("trial", number);
                        result.put("choices", new TreeMap<>(choices));
                        result.put("metrics", m.metrics());
                        result.put("fp32_metrics", m.fp32Metrics());
                        result.put("latency_ratio", m.latencyRatio());
                        result.put("quantized_fraction", m.quantizedFraction());
                        result.put("seconds", m.seconds());
                        result.put("server", "worker-" + Thread.currentThread().getName());
                        synchronized (log) {
                            log.put(entry(result), result);
                        }
                        return new TrialMeasurement(m.metrics(), m.fp32Metrics(), m.higherIsBetter(), m.latencyRatio(),
                                m.quantizedFraction(), m.seconds(), String.valueOf(result.get("server")));
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }, pool);
            }

            @Override
            public List<Map<String, Object>> read() {
                synchronized (log) {
                    return new ArrayList<>(log.values().stream().filter(r -> !"proposed".equals(r.get("type")))
                            .sorted(java.util.Comparator.comparingInt(r -> "search_space".equals(r.get("type")) ? 0
                                    : "end".equals(r.get("type")) ? 2 : 1)).toList());
                }
            }

            @Override
            public Map<Integer, Map<String, String>> unfinished() {
                Map<Integer, Map<String, String>> left = new TreeMap<>();
                synchronized (log) {
                    for (Map<String, Object> r : log.values()) {
                        if ("proposed".equals(r.get("type"))) {
                            Map<String, String> choices = new TreeMap<>();
                            ((Map<?, ?>) r.get("choices")).forEach((k, v) -> choices.put(String.valueOf(k),
                                    String.valueOf(v)));
                            left.put(((Number) r.get("trial")).intValue(), choices);
                        }
                    }
                }
                return left;
            }

            @Override
            public void append(Map<String, Object> record) {
                synchronized (log) {
                    log.put(entry(record), new LinkedHashMap<>(record));
                }
            }

            @Override
            public void clear() {
                synchronized (log) {
                    log.clear();
                }
            }

            @Override
            public String location() {
                return "memory (" + logId + ")";
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
