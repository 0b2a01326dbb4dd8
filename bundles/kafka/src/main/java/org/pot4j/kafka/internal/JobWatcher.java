package org.pot4j.kafka.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.JobService;

/**
 * The control consumer: reads the jobs topic (every job's latest state, so that requests are de-duplicated and
 * leases seen) from its beginning, and {@code pot4j.control} from the server's start on, and acts on cancels: the
 * job service cancels a job running here; a job no server runs yet gets its CANCELLED state from the server owning
 * its id's requests partition, when its request waits in the requests topic; a cancel for an id neither known nor
 * waiting is logged and ignored (recording it would make up a CANCELLED job that never existed). It has its own
 * thread and consumer (no group: it assigns itself every partition).
 */
final class JobWatcher {
    private static final Duration POLL = Duration.ofMillis(200);

    private final KafkaSettings settings;
    private final JobService jobs;
    private final KafkaEventPublisher publisher;
    private final JobStates states;
    private final JobDispatcher dispatcher;
    private final ServerHealth health;
    private final String server;
    private final PoisonRecords poison;
    private final ServerMetrics metrics;
    /** Whether a request for a job id waits in the requests topic (a scan; see {@link CancelCommand}). */
    private final Predicate<String> waitingRequest;
    private KafkaConsumer<String, byte[]> consumer;
    private volatile List<TopicPartition> jobPartitions = List.of();
    /** How far the jobs topic has been read (positions after the last poll). */
    private volatile Map<TopicPartition, Long> jobPositions = Map.of();
    /** Partitions of the requests topic (to find a job id's partition), and those the request loop has. */
    private volatile int requestPartitionCount;
    private volatile Set<Integer> ownedRequestPartitions = Set.of();

    JobWatcher(KafkaSettings settings, JobService jobs, KafkaEventPublisher publisher, JobStates states,
               JobDispatcher dispatcher, ServerHealth health, String server,
               Predicate<String> waitingRequest, ServerMetrics metrics) {
        this.settings = settings;
        this.jobs = jobs;
        this.publisher = publisher;
        this.states = states;
        this.dispatcher = dispatcher;
        this.health = health;
        this.server = server;
        this.waitingRequest = waitingRequest;
        this.metrics = metrics;
        this.poison = new PoisonRecords("the jobs/control consumer", health, this::skipUnreadable);
    }

    /** Reads the jobs topic to its end (on the calling thread), then positions the control topic at its end. */
    void open() {
        consumer = Clients.consumer(settings.bootstrapServers(), settings.clientProperties(), "pot4j-watch-" + server,
                null, Map.of());
        List<TopicPartition> jobs = JobStates.partitions(consumer, settings.jobsTopic(), Duration.ofSeconds(30));
        consumer.assign(jobs);
        consumer.seekToBeginning(jobs);
        jobPartitions = List.copyOf(jobs);
        while (!health.stopping() && !states.readToEnd(consumer, jobs, Duration.ofSeconds(30))) {
            health.report("the jobs topic " + settings.jobsTopic() + " could not be read to its end; retrying");
        }
        requestPartitionCount = JobStates.partitions(consumer, settings.requestsTopic(), Duration.ofSeconds(30)).size();
        List<TopicPartition> control = JobStates.partitions(consumer, settings.controlTopic(), Duration.ofSeconds(30));
        List<TopicPartition> watched = new ArrayList<>(jobs);
        watched.addAll(control);
        consumer.assign(watched);
        // only cancels sent from now on: older ones concern jobs that ended or never reached this server
        consumer.seekToEnd(control);
        for (TopicPartition partition : control) {
            consumer.position(partition);
        }
    }

    /** Interrupts a poll: the server stops. */
    void wakeup() {
        KafkaConsumer<String, byte[]> watching = consumer;
        if (watching != null) {
            watching.wakeup();
        }
    }

    /** How many partitions the requests topic has (set by {@link #open}). */
    void requestPartitionCount(int count) {
        requestPartitionCount = count;
    }

    /** The request loop's assignment (this thread may not touch that consumer). */
    void ownedRequestPartitions(Set<Integer> partitions) {
        ownedRequestPartitions = Set.copyOf(partitions);
    }

    /** The watcher's thread: until the server stops; a record that fails is logged, dead-lettered and passed. */
    void run() {
        try {
            while (!health.stopping()) {
                for (ConsumerRecord<String, byte[]> record : poison.poll(consumer, POLL)) {
                    try {
                        if (record.topic().equals(settings.jobsTopic())) {
                            states.apply(record);
                        } else if (record.key() != null) {
                            control(record);
                        }
                    } catch (WakeupException | ServerHealth.Stopped e) {
                        throw e;
                    } catch (OutOfMemoryError e) {
                        throw e;
                    } catch (Throwable e) {
                        health.report("the " + record.topic() + " record " + record.partition() + "@"
                                + record.offset() + " failed and is skipped: " + PoisonRecords.describe(e));
                        deadLetter(DeadLetters.record(settings.dlqTopic(), record, "UNHANDLED",
                                PoisonRecords.describe(e), DeadLetters.DEFAULT_VALUE_BUDGET), "UNHANDLED");
                    }
                }
                Map<TopicPartition, Long> positions = new HashMap<>();
                for (TopicPartition partition : jobPartitions) {
                    positions.put(partition, consumer.position(partition));
                }
                jobPositions = positions;
            }
        } catch (WakeupException | ServerHealth.Stopped e) {
            // stopping
        } catch (Throwable e) {
            health.fail("the jobs/control consumer", e);
        } finally {
            Thread.interrupted();
            KafkaRequestServer.closeQuietly(consumer);
        }
    }

    private void skipUnreadable(TopicPartition partition, long offset, Throwable error,
                                org.apache.kafka.common.errors.RecordDeserializationException raw) {
        String why = PoisonRecords.describe(error);
        health.report("the " + partition + " record at offset " + offset + " cannot be read and is skipped: " + why);
        deadLetter(DeadLetters.unreadable(settings.dlqTopic(), partition.topic(), partition.partition(), offset,
                "UNREADABLE_RECORD", why, raw, DeadLetters.DEFAULT_VALUE_BUDGET), "UNREADABLE_RECORD");
    }

    /** Best effort: the watcher cannot re-read a control record, and a jobs-topic state is re-read at start. */
    private void deadLetter(org.apache.kafka.clients.producer.ProducerRecord<String, byte[]> dead, String reason) {
        try {
            publisher.producer().send(dead, (sent, error) -> {
                if (error == null) {
                    metrics.deadLettered(reason);
                }
            });
        } catch (RuntimeException e) {
            health.report("the DLQ " + settings.dlqTopic() + " did not take a skipped record: " + e);
        }
    }

    /**
     * Waits (at most 5 s) until the jobs topic is read up to {@code end}, so that a request coming from another
     * server's partition sees that server's lease on its job.
     */
    void awaitRead(Map<TopicPartition, Long> end) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline && !health.stopping()) {
            Map<TopicPartition, Long> read = jobPositions;
            if (end.entrySet().stream().allMatch(e -> read.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
                return;
            }
            Thread.sleep(20);
        }
    }

    List<TopicPartition> jobPartitions() {
        return jobPartitions;
    }

    void control(ConsumerRecord<String, byte[]> record) {
        Map<String, Object> command;
        try {
            command = record.value() == null ? Map.of() : Messages.map(record.value());
        } catch (IOException e) {
            return; // a malformed control record is ignored: nothing to cancel
        }
        if (!"cancel".equals(command.get("action"))) {
            return;
        }
        String jobId = record.key();
        // every server sees every cancel; the one running (or queueing) the job acts on it
        publisher.cancelRequested(jobId);
        if (jobs.cancel(jobId)) {
            return;
        }
        publisher.cancelRequestedElsewhere(jobId);
        Map<String, Object> known = states.get(jobId);
        if (Boolean.TRUE.equals(command.get("recorded")) || (known != null && JobDispatcher.isTerminal(known))
                || dispatcher.runsElsewhereOrHere(jobId, known) || !ownsRequestsOf(jobId)) {
            // recorded by `pot cancel` itself, ended already, the server running it acts, or another server's to record
            return;
        }
        if (known == null && !waitingRequest.test(jobId)) {
            health.report("cancel for job " + jobId + " (" + record.topic() + " " + record.partition() + "@"
                    + record.offset() + ") ignored: no such job (the jobs topic " + settings.jobsTopic()
                    + " does not know the id and no request for it waits in " + settings.requestsTopic() + ")");
            return;
        }
        recordCancelBeforeRun(jobId, record.timestamp(), known);
    }

    /**
     * A cancel for a job no server runs yet (its request waits in the topic, or was interrupted): recorded as
     * its CANCELLED state, with the time of the cancel, so that a request sent before it is not run (see
     * {@link JobStates#cancelledSince}). Recorded by one server only, the one owning the job id's partition.
     */
    private void recordCancelBeforeRun(String jobId, long cancelledAt, Map<String, Object> known) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("before_run", true);
        details.put(JobStates.CANCELLED_AT, cancelledAt);
        publisher.cancelRequested(jobId);
        JobEvent cancelled = JobDispatcher.event(jobId, JobStates.nextSequence(known), JobEventType.CANCELLED,
                "cancelled before it ran: its request will be skipped", "CANCELLED", details);
        publisher.publish(cancelled);
        Map<String, Object> state = Messages.jobState(cancelled, "CANCELLED", server);
        state.put(JobStates.CANCELLED_AT, cancelledAt);
        states.put(jobId, state);
    }

    /** True when the requests partition a record keyed by {@code jobId} goes to is assigned here. */
    private boolean ownsRequestsOf(String jobId) {
        int count = requestPartitionCount;
        if (count <= 0) {
            return false;
        }
        int partition = org.apache.kafka.common.utils.Utils.toPositive(
                org.apache.kafka.common.utils.Utils.murmur2(Messages.utf8(jobId))) % count;
        return ownedRequestPartitions.contains(partition);
    }
}
