package org.pot4j.kafka.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.optimizer.TrialChannel;
import org.pot4j.api.optimizer.TrialMeasurement;
import org.pot4j.api.optimizer.TrialSettings;

/**
 * The owner's side of one tuning job's trials over Kafka. {@link #measure} writes the trial as {@code proposed} in
 * the job's log, then publishes the proposal on the trials topic (to the least busy server: {@link TrialRouter});
 * the server that measures it writes the result under the same key, which completes the trial here. A trial with no
 * result after the re-issue timeout (4 times the slowest trial so far, at least 60 s) is published again: the first
 * result counts, a late one for the same number is ignored. A server killed mid-trial does not commit the proposal,
 * so the group gives its partition, and the proposal, to another server.
 */
final class KafkaTrialChannel implements TrialChannel {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final long MIN_REISSUE_MS = 60_000;

    private record Pending(int number, Map<String, String> choices, byte[] proposal,
                           CompletableFuture<TrialMeasurement> result, long[] issuedAt, int[] partition) {
    }

    private final KafkaTrialTransport transport;
    private final JobRequest request;
    private final String logId;
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final BiConsumer<String, Map<String, Object>> listener = this::onRecord;
    private volatile double slowestSeconds;

    KafkaTrialChannel(KafkaTrialTransport transport, JobRequest request, String logId) {
        this.transport = transport;
        this.request = request;
        this.logId = logId;
        transport.view().addListener(listener);
        transport.view().sync(logId);
    }

    String logId() {
        return logId;
    }

    /**
     * The run of the log: an id its search-space record carries from when it was written ({@link #append}), in every
     * proposal and result of it, so that a proposal or result of an earlier run of the same log (before a
     * cold_start cleared it) is told apart; null for a log with no search-space record.
     */
    private Object run() {
        Map<String, Object> space = transport.view().entry(logId, "space");
        return space == null ? null : space.get("run");
    }

    @Override
    public int parallelism() {
        return transport.router().parallelism();
    }

    @Override
    public synchronized CompletableFuture<TrialMeasurement> measure(int number, Map<String, String> choices,
                                                                   TrialSettings settings) {
        Pending existing = pending.get(number);
        if (existing != null && existing.choices().equals(choices)) {
            return existing.result();
        }
        CompletableFuture<TrialMeasurement> result = new CompletableFuture<>();
        Map<String, Object> done = transport.view().entry(logId, TrialLogView.trialEntry(number));
        if (done != null && "trial".equals(done.get("type")) && choices.equals(strings(done.get("choices")))) {
            result.complete(measurement(done));
            return result;
        }
        Map<String, Object> proposed = new LinkedHashMap<>();
        proposed.put("type", "proposed");
        proposed.put("job_id", request.jobId());
        proposed.put("trial", number);
        proposed.put("choices", new TreeMap<>(choices));
        proposed.put("owner", ServerIdentity.name());
        proposed.put("run", run());
        transport.view().write(logId, TrialLogView.trialEntry(number), proposed);
        Pending trial = new Pending(number, Map.copyOf(choices), proposal(number, choices, settings), result,
                new long[] {System.nanoTime()}, new int[] {-1}); // issued now: the re-issuer must not see 0
        pending.put(number, trial);
        publish(trial);
        return result;
    }

    private byte[] proposal(int number, Map<String, String> choices, TrialSettings settings) {
        Map<String, Object> wrapper = new LinkedHashMap<>();
        wrapper.put("job_id", request.jobId());
        wrapper.put("config", request.config());
        if (request.baseDirectory() != null) {
            wrapper.put("base_dir", request.baseDirectory().toString());
        }
        if (request.outputDirectory() != null) {
            wrapper.put("output_dir", request.outputDirectory().toString());
        }
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("log_id", logId);
        value.put("run", run());
        value.put("trial", number);
        value.put("owner", ServerIdentity.name());
        value.put("choices", new TreeMap<>(choices));
        value.put("settings", Map.of("eval_subset_size", settings.evalSubsetSize(), "batch", settings.batch(),
                "threads", settings.threads(), "seconds", settings.seconds(), "iterations", settings.iterations()));
        value.put("request", wrapper);
        try {
            return JSON.writeValueAsBytes(value);
        } catch (java.io.IOException e) {
            throw new Pot4jException("INTERNAL_ERROR", "cannot write trial " + number + ": " + e, e);
        }
    }

    private void publish(Pending trial) {
        Map<Integer, Integer> busy = new HashMap<>();
        pending.values().forEach(p -> {
            if (p != trial && p.partition()[0] >= 0) {
                busy.merge(p.partition()[0], 1, Integer::sum);
            }
        });
        Integer partition = transport.router().partition(busy);
        trial.partition()[0] = partition == null ? -1 : partition;
        trial.issuedAt()[0] = System.nanoTime();
        KafkaProducer<String, byte[]> producer = transport.producer();
        try {
            producer.send(new ProducerRecord<>(transport.topics().trials(), partition,
                    request.jobId() + TrialLogView.SEPARATOR + TrialLogView.trialEntry(trial.number()),
                    trial.proposal())).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Pot4jException("CANCELLED", "interrupted while publishing trial " + trial.number());
        } catch (Exception e) {
            throw new Pot4jException("OUTPUT_ERROR", "cannot publish trial " + trial.number() + " of job "
                    + request.jobId() + " to " + transport.topics().trials() + ": " + e, e);
        }
    }

    /** Called every second: a trial with no result for too long is published again. */
    void reissueLate() {
        long timeoutMs = Math.max(MIN_REISSUE_MS, (long) (4_000 * slowestSeconds));
        for (Pending trial : List.copyOf(pending.values())) {
            if (!trial.result().isDone()
                    && System.nanoTime() - trial.issuedAt()[0] > TimeUnit.MILLISECONDS.toNanos(timeoutMs)) {
                try {
                    publish(trial);
                    transport.log("trial " + trial.number() + " of job " + request.jobId() + " had no result after "
                            + timeoutMs / 1000 + " s: published again");
                } catch (RuntimeException e) {
                    transport.log("cannot publish trial " + trial.number() + " again: " + e.getMessage());
                }
            }
        }
    }

    private void onRecord(String log, Map<String, Object> record) {
        if (!logId.equals(log) || !(record.get("trial") instanceof Number n)) {
            return;
        }
        Pending trial = pending.get(n.intValue());
        if (trial == null || trial.result().isDone()
                || !trial.choices().equals(strings(record.get("choices")))
                || !java.util.Objects.equals(run(), record.get("run"))) {
            return;
        }
        if ("trial".equals(record.get("type"))) {
            TrialMeasurement m = measurement(record);
            slowestSeconds = Math.max(slowestSeconds, m.seconds());
            pending.remove(n.intValue());
            trial.result().complete(m);
        } else if ("trial_failed".equals(record.get("type"))) {
            pending.remove(n.intValue());
            String code = record.get("code") == null ? "INTERNAL_ERROR" : String.valueOf(record.get("code"));
            trial.result().completeExceptionally(new Pot4jException(code, "trial " + n + " failed on server "
                    + record.get("server") + ": " + record.get("error")));
        }
    }

    static TrialMeasurement measurement(Map<String, Object> record) {
        Map<String, Boolean> higher = new LinkedHashMap<>();
        if (record.get("higher_is_better") instanceof Map<?, ?> given) {
            given.forEach((k, v) -> higher.put(String.valueOf(k), Boolean.TRUE.equals(v)));
        }
        return new TrialMeasurement(numbers(record.get("metrics")), numbers(record.get("fp32_metrics")), higher,
                number(record.get("latency_ratio")), number(record.get("quantized_fraction")),
                number(record.get("seconds")), record.get("server") == null ? null : String.valueOf(record.get("server")));
    }

    @Override
    public List<Map<String, Object>> read() {
        transport.view().sync(logId);
        return TrialLogView.ordered(transport.view().log(logId)).stream()
                .filter(r -> !"proposed".equals(r.get("type")) && !"trial_failed".equals(r.get("type"))).toList();
    }

    @Override
    public Map<Integer, Map<String, String>> unfinished() {
        Map<Integer, Map<String, String>> left = new TreeMap<>();
        for (Map<String, Object> record : TrialLogView.ordered(transport.view().log(logId))) {
            if (("proposed".equals(record.get("type")) || "trial_failed".equals(record.get("type")))
                    && record.get("trial") instanceof Number n) {
                left.put(n.intValue(), strings(record.get("choices")));
            }
        }
        return left;
    }

    @Override
    public void append(Map<String, Object> record) {
        String type = String.valueOf(record.get("type"));
        String entry = switch (type) {
            case "search_space" -> "space";
            case "end" -> "end";
            case "trial" -> TrialLogView.trialEntry(((Number) record.get("trial")).intValue());
            default -> type;
        };
        Map<String, Object> value = new LinkedHashMap<>(record);
        if (entry.equals("space")) {
            value.putIfAbsent("run", java.util.UUID.randomUUID().toString());
        } else if (entry.startsWith("trial-")) {
            value.put("run", run());
        }
        transport.view().write(logId, entry, value);
    }

    @Override
    public void clear() {
        transport.view().sync(logId);
        for (String entry : transport.view().log(logId).keySet()) {
            transport.view().write(logId, entry, null);
        }
    }

    @Override
    public String location() {
        return "Kafka topic " + transport.topics().log() + " (log " + logId + ")";
    }

    /** The transport stops (the server stops): trials still waiting end as cancelled. */
    void abort() {
        pending.values().forEach(p -> p.result().completeExceptionally(
                new Pot4jException("CANCELLED", "the server is stopping")));
    }

    @Override
    public void close() {
        transport.view().removeListener(listener);
        transport.closed(this);
        pending.values().forEach(p -> p.result().cancel(false));
    }

    static Map<String, String> strings(Object value) {
        Map<String, String> map = new TreeMap<>();
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

    private static double number(Object value) {
        return value instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
