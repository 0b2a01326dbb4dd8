package org.pot4j.kafka.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/** The latest state of every job, as read from the compacted jobs topic (a null value deletes). */
public final class JobStates {
    private final Map<String, Map<String, Object>> states = new ConcurrentHashMap<>();
    /** Told of every state put or read (not of deletions): the group view's push (see {@link GroupJobDirectory}). */
    private volatile java.util.function.BiConsumer<String, Map<String, Object>> onState = (id, state) -> { };

    /** In a CANCELLED state: when the cancel was sent (epoch ms, the sender's clock, as request timestamps are). */
    public static final String CANCELLED_AT = "cancelled_at";

    /**
     * True when {@code state} says the job was cancelled at or after {@code requestSentAt} (epoch ms): the
     * request was waiting when its cancel came, so it must not run. A request sent after the cancel (the
     * same id submitted again) runs.
     */
    public static boolean cancelledSince(Map<String, Object> state, long requestSentAt) {
        if (state == null || !"CANCELLED".equals(String.valueOf(state.get("state")))) {
            return false;
        }
        if (state.get(CANCELLED_AT) instanceof Number at) {
            return at.longValue() >= requestSentAt;
        }
        try {
            return java.time.Instant.parse(String.valueOf(state.get("updated"))).toEpochMilli() >= requestSentAt;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Sequence numbers of one run of a job: run r numbers its events from r x RUN_SPAN on, so that (job id,
     * sequence) is unique on the events topic across runs and servers even when a run was killed after events its
     * job state does not record (progress is not a state). Run 0 is the first.
     */
    public static final long RUN_SPAN = 1_000_000_000L;

    /** The run an event of {@code sequence} belongs to. */
    public static long runOf(long sequence) {
        return sequence / RUN_SPAN;
    }

    /** The run {@code state} records (its own field, else that of its sequence), -1 for none. */
    public static long run(Map<String, Object> state) {
        if (state == null) {
            return -1;
        }
        if (state.get("run") instanceof Number n) {
            return n.longValue();
        }
        return state.get("sequence") instanceof Number n ? runOf(n.longValue()) : 0;
    }

    /** The first sequence number of the run after the one {@code state} records: 0 for a job without a state. */
    public static long nextRunStart(Map<String, Object> state) {
        return (run(state) + 1) * RUN_SPAN;
    }

    /**
     * The sequence number of a single event about a job outside a run (a re-announcement, a cancel before it ran, a
     * rejection): one past the last its state records when the job ended (nothing follows an end), else the start
     * of a new run (a run that did not end may have published beyond its state), 0 without a state.
     */
    public static long nextSequence(Map<String, Object> state) {
        if (state == null) {
            return 0;
        }
        if (JobDispatcher.isTerminal(state) && state.get("sequence") instanceof Number n) {
            return n.longValue() + 1;
        }
        return nextRunStart(state);
    }

    public Map<String, Object> get(String jobId) {
        return states.get(jobId);
    }

    public String state(String jobId) {
        Map<String, Object> state = states.get(jobId);
        return state == null ? null : String.valueOf(state.get("state"));
    }

    public void put(String jobId, Map<String, Object> state) {
        states.put(jobId, state);
        onState.accept(jobId, state);
    }

    /** {@code listener} is told of each state from now on (one listener; null: none). */
    void onState(java.util.function.BiConsumer<String, Map<String, Object>> listener) {
        onState = listener == null ? (id, state) -> { } : listener;
    }

    public Map<String, Map<String, Object>> all() {
        return Map.copyOf(states);
    }

    public void apply(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            states.remove(record.key());
            return;
        }
        try {
            Map<String, Object> state = Messages.map(record.value());
            states.put(record.key(), state);
            onState.accept(record.key(), state);
        } catch (IOException e) {
            // not ours to repair: a foreign record on the jobs topic is skipped
        }
    }

    static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic, Duration timeout) {
        List<TopicPartition> result = new ArrayList<>();
        List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        if (infos != null) {
            for (PartitionInfo info : infos) {
                result.add(new TopicPartition(topic, info.partition()));
            }
        }
        return result;
    }

    /**
     * Reads {@code partitions} (assigned to {@code consumer}, positioned) up to their current end
     * offsets, feeding every record to this view; false when {@code timeout} passed first.
     */
    public boolean readToEnd(KafkaConsumer<String, byte[]> consumer, List<TopicPartition> partitions,
                             Duration timeout) {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean done = true;
            for (TopicPartition partition : partitions) {
                if (consumer.position(partition, timeout) < end.getOrDefault(partition, 0L)) {
                    done = false;
                }
            }
            if (done) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                apply(record);
            }
        }
    }
}
