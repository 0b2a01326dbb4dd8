package org.pot4j.kafka.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;

/**
 * The requests consumer: one record per poll, in the server's consumer group. Each record is parsed; what cannot be
 * parsed (or read at all: see {@link PoisonRecords}) goes to the DLQ, what may not run gets a REJECTED event, the
 * rest goes to the {@link JobDispatcher}. Partitions are paused while the dispatcher is full; an offset is committed
 * only once its record (and every earlier one of its partition) ended, after the terminal events are flushed.
 * <p>
 * A record that cannot be parsed is committed only once the DLQ acknowledged it (else it is read again); one whose
 * handling fails on a Kafka error (the DLQ or event not sent) is sought back and read again; one whose handling fails
 * otherwise is dead-lettered with the error and passed. Nothing but a stop ends the loop quietly: whatever else
 * escapes it fails the server ({@link ServerHealth#fail}).
 */
final class RequestLoop {
    private static final Duration POLL = Duration.ofMillis(200);

    private final KafkaSettings settings;
    private final KafkaEventPublisher publisher;
    private final JobDispatcher dispatcher;
    private final JobWatcher watcher;
    private final JobStates states;
    private final ServerHealth health;
    private final OffsetTracker<TopicPartition> offsets;
    private final String server;
    private final Path home;
    private final PoisonRecords poison;
    private final ServerMetrics metrics;
    private volatile KafkaConsumer<String, byte[]> consumer;

    RequestLoop(KafkaSettings settings, KafkaEventPublisher publisher, JobDispatcher dispatcher, JobWatcher watcher,
                JobStates states, ServerHealth health, OffsetTracker<TopicPartition> offsets, String server, Path home,
                ServerMetrics metrics) {
        this.settings = settings;
        this.publisher = publisher;
        this.dispatcher = dispatcher;
        this.watcher = watcher;
        this.states = states;
        this.health = health;
        this.offsets = offsets;
        this.server = server;
        this.home = home;
        this.metrics = metrics;
        this.poison = new PoisonRecords("the requests consumer", health, this::skipUnreadable);
    }

    /** Interrupts a poll: the server stops. */
    void wakeup() {
        KafkaConsumer<String, byte[]> requests = consumer;
        if (requests != null) {
            requests.wakeup();
        }
    }

    /** Runs after every assignment (empty ones too): the first one means the server consumes. */
    private volatile Runnable onAssigned = () -> { };

    /** Joins the group and consumes until the server stops; {@code assigned} runs at each assignment from the group. */
    void run(Runnable assigned) {
        onAssigned = assigned;
        Map<String, Object> extra = new HashMap<>();
        // one record per poll: the pool check before each poll then holds exactly
        extra.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        extra.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, settings.sessionTimeoutMs());
        extra.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Math.max(1000, settings.sessionTimeoutMs() / 5));
        extra.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        KafkaConsumer<String, byte[]> requests = Clients.consumer(settings.bootstrapServers(),
                settings.clientProperties(), "pot4j-requests-" + server, settings.groupId(), extra);
        consumer = requests;
        try {
            requests.subscribe(List.of(settings.requestsTopic()), new Rebalance(requests));
            while (!health.stopping()) {
                step(requests);
            }
        } finally {
            KafkaRequestServer.closeQuietly(requests);
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        private final KafkaConsumer<String, byte[]> requests;

        Rebalance(KafkaConsumer<String, byte[]> requests) {
            this.requests = requests;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // the states of the jobs running here reach the broker before another server gets their requests
            publisher.flush();
            commit(requests);
            partitions.forEach(offsets::forget);
            dispatcher.forget(partitions);
            owned(requests);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            owned(requests);
            if (dispatcher.full()) {
                requests.pause(partitions);
            }
            if (!partitions.isEmpty()) {
                awaitJobStatesCurrent(requests);
            }
            // called after every rebalance, with an empty collection too (KIP-429): the first one means serving
            onAssigned.run();
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            partitions.forEach(offsets::forget);
            dispatcher.forget(partitions);
            owned(requests);
        }
    }

    private void step(KafkaConsumer<String, byte[]> requests) {
        try {
            dispatcher.drainFinished();
            dispatcher.reviewHeld();
            dispatcher.renewLeases();
            commit(requests);
            Set<TopicPartition> assigned = requests.assignment();
            Set<TopicPartition> blocked = dispatcher.blocked();
            blocked.retainAll(assigned);
            if (dispatcher.full()) {
                requests.pause(assigned);
            } else {
                requests.pause(blocked);
                Set<TopicPartition> resumable = new HashSet<>(requests.paused());
                resumable.removeAll(blocked);
                requests.resume(resumable);
            }
            for (ConsumerRecord<String, byte[]> record : poison.poll(requests, POLL)) {
                handleOrRetry(requests, record);
            }
            lag(requests);
        } catch (WakeupException | ServerHealth.Stopped e) {
            throw e;
        } catch (RebalanceInProgressException | CommitFailedException e) {
            // the group moved under this commit: the next poll rejoins, the uncommitted
            // requests of partitions that left are held or re-run by their new owner
            health.report("commit skipped during a rebalance: " + e.getMessage());
        } catch (KafkaException | DeadLetterRefused e) {
            health.report("Kafka error, retrying: " + PoisonRecords.describe(e));
            health.sleep(1_000);
        }
    }

    /**
     * Handles one record. A Kafka error (the DLQ or an event not sent) seeks back to it, to be read again, never
     * dropped; any other error is the record's: logged with its position, dead-lettered, passed.
     */
    private void handleOrRetry(KafkaConsumer<String, byte[]> requests, ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        try {
            handle(record);
        } catch (WakeupException | ServerHealth.Stopped | OutOfMemoryError e) {
            throw e;
        } catch (KafkaException | DeadLetterRefused e) {
            retry(requests, partition, record.offset(), e);
        } catch (Throwable e) {
            String why = PoisonRecords.describe(e);
            health.report("request " + partition + "@" + record.offset() + " failed and goes to the DLQ: " + why);
            offsets.begin(partition, record.offset());
            try {
                deadLetter(DeadLetters.record(settings.dlqTopic(), record, "UNHANDLED", why,
                        DeadLetters.DEFAULT_VALUE_BUDGET), "UNHANDLED");
            } catch (DeadLetterRefused refused) {
                retry(requests, partition, record.offset(), refused);
                return;
            }
            dispatcher.done(partition, record.offset());
        }
    }

    private void retry(KafkaConsumer<String, byte[]> requests, TopicPartition partition, long offset, Exception e) {
        offsets.rewind(partition, offset);
        requests.seek(partition, offset);
        health.report("request " + partition + "@" + offset + " will be retried: " + PoisonRecords.describe(e));
        health.sleep(1_000);
    }

    /** A record {@link PoisonRecords} found unreadable: dead-lettered by position, then passed (and committable). */
    private void skipUnreadable(TopicPartition partition, long offset, Throwable error,
                                RecordDeserializationException raw) {
        String why = PoisonRecords.describe(error);
        health.report("request " + partition + "@" + offset + " cannot be read and goes to the DLQ: " + why);
        deadLetter(DeadLetters.unreadable(settings.dlqTopic(), partition.topic(), partition.partition(), offset,
                "UNREADABLE_RECORD", why, raw, DeadLetters.DEFAULT_VALUE_BUDGET), "UNREADABLE_RECORD");
        offsets.begin(partition, offset);
        dispatcher.done(partition, offset);
    }

    /** Publishes the assignment to the watcher thread (which may not touch this consumer). */
    private void owned(KafkaConsumer<String, byte[]> requests) {
        Set<Integer> owned = new HashSet<>();
        requests.assignment().forEach(p -> owned.add(p.partition()));
        watcher.ownedRequestPartitions(owned);
    }

    /** Waits until the watcher has read the jobs topic to its current end (see {@link JobWatcher#awaitRead}). */
    private void awaitJobStatesCurrent(KafkaConsumer<String, byte[]> requests) {
        try {
            watcher.awaitRead(requests.endOffsets(watcher.jobPartitions(), Duration.ofSeconds(5)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // best effort: the lease check still works on what the watcher has read
        }
    }

    private void commit(KafkaConsumer<String, byte[]> requests) {
        Map<TopicPartition, Long> advanced = offsets.advanced();
        if (advanced.isEmpty()) {
            return;
        }
        // the terminal events are on the broker before the request is marked done
        publisher.flush();
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        advanced.forEach((partition, offset) -> commit.put(partition, new OffsetAndMetadata(offset)));
        requests.commitSync(commit);
        advanced.forEach(offsets::markCommitted);
    }

    private void handle(ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        offsets.begin(partition, record.offset());
        String fallbackId = "kafka-" + record.topic() + "-" + record.partition() + "-" + record.offset();
        RequestParser.Limits limits = new RequestParser.Limits(settings.maxRequestBytes(), settings.allowedRoots(),
                home, settings.outputDirectory(), settings.stateFolders());
        RequestParser.Outcome outcome;
        try {
            outcome = RequestParser.parse(record.key(), record.value(), fallbackId, limits);
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            outcome = new RequestParser.Unparseable(record.key(), "UNREADABLE", String.valueOf(e));
        }
        if (outcome instanceof RequestParser.Unparseable bad) {
            deadLetter(DeadLetters.record(settings.dlqTopic(), record, bad.reason(), bad.message(),
                    DeadLetters.DEFAULT_VALUE_BUDGET), bad.reason());
            if (bad.jobId() != null) {
                reject(bad.jobId(), bad.message(), bad.reason(), Map.of("dlq", settings.dlqTopic()));
            }
            dispatcher.done(partition, record.offset());
        } else if (outcome instanceof RequestParser.Rejected rejected) {
            reject(rejected.jobId(), rejected.message(), rejected.code(), Map.of("field", rejected.field()));
            dispatcher.done(partition, record.offset());
        } else if (outcome instanceof RequestParser.Parsed parsed) {
            dispatcher.start(partition, record.offset(), record.timestamp(), parsed);
        }
    }

    /** A REJECTED event numbered after what the job's state records, and known here at once (a second one follows it). */
    private void reject(String jobId, String message, String code, Map<String, Object> details) {
        JobEvent event = JobDispatcher.event(jobId, JobStates.nextSequence(states.get(jobId)), JobEventType.REJECTED,
                message, code, details);
        publisher.publish(event);
        states.put(jobId, Messages.jobState(event, JobEventType.REJECTED.name(), server));
    }

    /** The consumer's lag per assigned partition, where it knows it (from its last fetch; no broker call). */
    private void lag(KafkaConsumer<String, byte[]> requests) {
        Map<TopicPartition, Long> lag = new HashMap<>();
        for (TopicPartition partition : requests.assignment()) {
            requests.currentLag(partition).ifPresent(records -> lag.put(partition, records));
        }
        metrics.lag(lag);
    }

    /** The DLQ did not take a record: it is read again (its offset must not pass it). */
    static final class DeadLetterRefused extends RuntimeException {
        DeadLetterRefused(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Sends to the DLQ and waits for the broker's acknowledgement: an offset may be committed only once the DLQ
     * holds its record. A failure throws {@link DeadLetterRefused}, so the record is read again (never a silent drop).
     */
    private void deadLetter(ProducerRecord<String, byte[]> dead, String reason) {
        try {
            publisher.producer().send(dead).get(30, TimeUnit.SECONDS);
            metrics.deadLettered(reason);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeadLetterRefused("interrupted while sending to " + settings.dlqTopic(), e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new DeadLetterRefused("the DLQ " + settings.dlqTopic() + " did not take the record (" + reason
                    + "): " + cause, cause);
        }
    }
}
