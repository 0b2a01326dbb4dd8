package org.pot4j.kafka.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.optimizer.TrialMeasurement;
import org.pot4j.api.optimizer.TrialRunner;
import org.pot4j.api.optimizer.TrialSettings;

/**
 * This server's trial worker: consumes the trials topic in the group {@code <group_id>.trials}, one proposal at a
 * time, measures it with the job service ({@link TrialRunner}: the job's pipeline is built on the first trial, its
 * statistics from this server's cache) on a thread of its own while the consumer keeps polling with its partitions
 * paused, writes the result to the job's trial log under the trial's key, and only then commits the proposal. A
 * proposal whose trial the log already has (a duplicate, a re-issue) or that belongs to an earlier run of the log
 * (cleared since by a cold_start: the run id of its search-space record differs) is passed over. A
 * proposal whose paths lie outside this server's {@code allowed_roots} fails the trial, naming the field.
 */
final class TrialWorker implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaSettings settings;
    private final TrialTopics topics;
    private final TrialLogView view;
    private final TrialRunner runner;
    private final Path home;
    private final String server;
    private final ServerHealth health;
    private final ExecutorService measuring;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile boolean stopping;
    private volatile String lastJob;

    TrialWorker(KafkaSettings settings, TrialTopics topics, TrialLogView view, TrialRunner runner, Path home,
                String server, ServerHealth health) {
        this.settings = settings;
        this.topics = topics;
        this.view = view;
        this.runner = runner;
        this.home = home;
        this.server = server;
        this.health = health;
        this.measuring = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "pot4j-trial-measure");
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public void run() {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        extra.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, settings.sessionTimeoutMs());
        extra.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Math.max(500, settings.sessionTimeoutMs() / 5));
        try {
            consumer = Clients.consumer(settings.bootstrapServers(), settings.clientProperties(),
                    "pot4j-trials-" + server, topics.workersGroup(), extra);
            consumer.subscribe(List.of(topics.trials()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                }
            });
            while (!stopping) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        handle(record);
                    } catch (Pot4jException e) {
                        // e.g. the result could not be written: the proposal is not committed, and read again
                        health.report("trial worker: " + e.getMessage() + "; trying again in 2 s");
                        consumer.seek(new TopicPartition(record.topic(), record.partition()), record.offset());
                        health.sleep(2_000);
                    }
                }
            }
        } catch (WakeupException e) {
            // stopping
        } catch (Throwable e) {
            if (!stopping) {
                health.fail("the trial worker (" + Thread.currentThread().getName() + ")", e);
            }
        } finally {
            measuring.shutdownNow();
            KafkaRequestServer.closeQuietly(consumer);
        }
    }

    /** Measures one proposal while the consumer keeps its membership (paused, polling), then commits it. */
    private void handle(ConsumerRecord<String, byte[]> record) throws Exception {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        Map<String, Object> proposal;
        try {
            proposal = JSON.readValue(record.value(), new TypeReference<Map<String, Object>>() { });
        } catch (Exception e) {
            health.report("trial record " + record.topic() + "/" + record.partition() + "@" + record.offset()
                    + " is not a trial proposal (" + e.getMessage() + "); passed over");
            commit(partition, record.offset());
            return;
        }
        String logId = String.valueOf(proposal.get("log_id"));
        int number = proposal.get("trial") instanceof Number n ? n.intValue() : -1;
        Map<String, String> choices = KafkaTrialChannel.strings(proposal.get("choices"));
        Map<String, Object> logged = view.entry(logId, TrialLogView.trialEntry(number));
        boolean done = logged != null && "trial".equals(logged.get("type"))
                && choices.equals(KafkaTrialChannel.strings(logged.get("choices")));
        if (number < 0 || done || !currentRun(logId, proposal.get("run"))) {
            commit(partition, record.offset());
            return;
        }
        consumer.pause(consumer.assignment());
        CompletableFuture<Map<String, Object>> result = CompletableFuture.supplyAsync(
                () -> measure(record, proposal, number, choices), measuring);
        try {
            while (!result.isDone()) {
                consumer.poll(Duration.ofMillis(200)); // paused: heartbeats and rebalances only
                if (stopping) {
                    return; // not committed: another server measures it
                }
            }
            Map<String, Object> outcome = result.join();
            view.write(logId, TrialLogView.trialEntry(number), outcome);
            commit(partition, record.offset());
        } finally {
            consumer.resume(consumer.assignment());
        }
    }

    /**
     * Whether the proposal belongs to the log's current run (its search-space record's id): a proposal left from a run
     * the log no longer holds (cleared by a cold_start) is passed over. Read again from the topic before saying no.
     */
    private boolean currentRun(String logId, Object run) {
        for (int attempt = 0; attempt < 2; attempt++) {
            Map<String, Object> space = view.entry(logId, "space");
            if (space != null && java.util.Objects.equals(space.get("run"), run)) {
                return true;
            }
            if (attempt == 0) {
                view.sync(logId);
            }
        }
        return false;
    }

    private Map<String, Object> measure(ConsumerRecord<String, byte[]> record, Map<String, Object> proposal,
                                        int number, Map<String, String> choices) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("job_id", null);
        out.put("run", proposal.get("run"));
        out.put("trial", number);
        out.put("choices", choices);
        out.put("server", server);
        try {
            byte[] wrapper = JSON.writeValueAsBytes(proposal.get("request"));
            RequestParser.Limits limits = new RequestParser.Limits(Math.max(settings.maxRequestBytes(), wrapper.length),
                    settings.allowedRoots(), home, settings.outputDirectory(), settings.stateFolders());
            RequestParser.Outcome outcome = RequestParser.parse(null, wrapper, "trial-" + record.offset(), limits);
            if (outcome instanceof RequestParser.Rejected rejected) {
                throw new InvalidInputException(rejected.field(), null, rejected.message());
            }
            if (!(outcome instanceof RequestParser.Parsed parsed)) {
                throw new Pot4jException("INVALID_INPUT", "the trial's job request cannot be read: "
                        + ((RequestParser.Unparseable) outcome).message());
            }
            out.put("job_id", parsed.jobId());
            if (lastJob != null && !lastJob.equals(parsed.jobId())) {
                runner.release(lastJob);
            }
            lastJob = parsed.jobId();
            Map<?, ?> s = (Map<?, ?>) proposal.get("settings");
            TrialSettings trial = new TrialSettings(integer(s.get("eval_subset_size")), integer(s.get("batch")),
                    integer(s.get("threads")), ((Number) s.get("seconds")).doubleValue(), integer(s.get("iterations")));
            TrialMeasurement m = runner.measure(new JobRequest(parsed.jobId(), parsed.config(), parsed.baseDirectory(),
                    parsed.outputDirectory(), "kafka"), choices, trial);
            out.put("type", "trial");
            out.put("cached", false);
            out.put("latency_ratio", Double.isFinite(m.latencyRatio()) ? m.latencyRatio() : null);
            out.put("quantized_fraction", m.quantizedFraction());
            out.put("seconds", m.seconds());
            out.put("metrics", m.metrics());
            out.put("fp32_metrics", m.fp32Metrics());
            out.put("higher_is_better", m.higherIsBetter());
        } catch (Exception e) {
            out.put("type", "trial_failed");
            out.put("code", e instanceof Pot4jException p ? p.code() : "INTERNAL_ERROR");
            out.put("error", e.getMessage() == null ? e.toString() : e.getMessage());
        }
        return out;
    }

    private static int integer(Object value) {
        return value instanceof Number n ? n.intValue() : 0;
    }

    private void commit(TopicPartition partition, long offset) {
        try {
            consumer.commitSync(Map.of(partition, new OffsetAndMetadata(offset + 1)));
        } catch (org.apache.kafka.common.errors.RebalanceInProgressException
                 | org.apache.kafka.clients.consumer.CommitFailedException e) {
            // the partition moved on: its new holder sees the trial done in the log and passes it over
        }
    }

    void stop() {
        stopping = true;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }
}
