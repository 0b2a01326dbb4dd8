package org.pot4j.kafka.internal;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Polls so that a record the consumer cannot read does not stop it. {@code poll} throws on such a record (a
 * corrupt or undecompressable batch: a KafkaException "seek past the record"; a codec class missing: an Error;
 * a key that does not deserialize: a RecordDeserializationException) and throws again on every later poll, as the
 * position stays on it. Here the record's position is found (from the exception when it names it, else by polling
 * each partition alone), handed to {@link Skipped} (which logs and dead-letters it) and sought past; the consumer
 * goes on. Errors that no single partition reproduces are retried; {@link #MAX_UNPLACED} of them in a row end the
 * consumer (its thread reports the failure).
 */
final class PoisonRecords {
    /** Unreadable-record errors in a row that no partition reproduces before the consumer gives up. */
    static final int MAX_UNPLACED = 30;
    private static final int ISOLATION_POLLS = 3;

    /** What happens to a record that cannot be read, before the consumer seeks past it. */
    interface Skipped {
        void skip(TopicPartition partition, long offset, Throwable error, RecordDeserializationException raw);
    }

    private final String consumerName;
    private final ServerHealth health;
    private final Skipped skipped;
    private int unplaced;

    PoisonRecords(String consumerName, ServerHealth health, Skipped skipped) {
        this.consumerName = consumerName;
        this.health = health;
        this.skipped = skipped;
    }

    /**
     * {@code consumer.poll(timeout)}; when it fails on a record, that record is skipped (see the class comment) and
     * what could be read meanwhile is returned. Wake-ups (the server stops) pass through.
     */
    List<ConsumerRecord<String, byte[]>> poll(Consumer<String, byte[]> consumer, Duration timeout) {
        try {
            List<ConsumerRecord<String, byte[]>> records = list(consumer.poll(timeout));
            unplaced = 0;
            return records;
        } catch (WakeupException e) {
            throw e;
        } catch (RecordDeserializationException e) {
            skip(consumer, e.topicPartition(), e.offset(), e, e);
            return List.of();
        } catch (OutOfMemoryError e) {
            throw e;
        } catch (Throwable e) {
            return isolate(consumer, e, timeout);
        }
    }

    /** Polls each readable partition alone until one fails like the whole poll did: its position is the record. */
    private List<ConsumerRecord<String, byte[]>> isolate(Consumer<String, byte[]> consumer, Throwable error,
                                                         Duration timeout) {
        Set<TopicPartition> assigned = consumer.assignment();
        Set<TopicPartition> paused = new HashSet<>(consumer.paused());
        Set<TopicPartition> candidates = new HashSet<>(assigned);
        candidates.removeAll(paused);
        try {
            for (TopicPartition partition : candidates) {
                Set<TopicPartition> others = new HashSet<>(assigned);
                others.remove(partition);
                consumer.pause(others);
                consumer.resume(Set.of(partition));
                for (int i = 0; i < ISOLATION_POLLS; i++) {
                    List<ConsumerRecord<String, byte[]>> records;
                    try {
                        records = list(consumer.poll(timeout));
                    } catch (WakeupException e) {
                        throw e;
                    } catch (OutOfMemoryError e) {
                        throw e;
                    } catch (Throwable again) {
                        long offset = again instanceof RecordDeserializationException d ? d.offset()
                                : consumer.position(partition);
                        skip(consumer, partition, offset, again,
                                again instanceof RecordDeserializationException d ? d : null);
                        return List.of();
                    }
                    if (!records.isEmpty()) {
                        // a readable record first: the caller handles it, the next poll fails again and looks further
                        unplaced = 0;
                        return records;
                    }
                }
            }
        } finally {
            consumer.resume(assigned);
            consumer.pause(paused);
        }
        unplaced++;
        health.report(consumerName + ": poll failed and no partition alone reproduced it (" + unplaced + " in a row, "
                + "giving up after " + MAX_UNPLACED + "): " + error);
        if (unplaced >= MAX_UNPLACED) {
            throw new IllegalStateException(consumerName + ": " + unplaced + " failed polls in a row: " + error, error);
        }
        health.sleep(1_000);
        return List.of();
    }

    private void skip(Consumer<String, byte[]> consumer, TopicPartition partition, long offset, Throwable error,
                      RecordDeserializationException raw) {
        unplaced = 0;
        skipped.skip(partition, offset, error, raw);
        consumer.seek(partition, offset + 1);
    }

    private static List<ConsumerRecord<String, byte[]>> list(Iterable<ConsumerRecord<String, byte[]>> records) {
        List<ConsumerRecord<String, byte[]>> list = new java.util.ArrayList<>();
        records.forEach(list::add);
        return list;
    }

    /** The error and its causes in one line (Kafka's "seek past the record" hides the codec's reason in its cause). */
    static String describe(Throwable error) {
        StringBuilder text = new StringBuilder(String.valueOf(error));
        Set<Throwable> seen = new HashSet<>();
        for (Throwable cause = error.getCause(); cause != null && seen.add(cause); cause = cause.getCause()) {
            text.append("; caused by ").append(cause);
        }
        return text.toString();
    }
}
