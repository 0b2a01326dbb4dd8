package org.pot4j.kafka.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.Utils;
import org.pot4j.api.Pot4jException;

/**
 * The compacted trial-log topic as this server sees it: every server reads the whole topic (no group) into memory,
 * the latest record of each key, and tells listeners of each new record. A log (one tuning job's, or one output
 * folder's) is the keys {@code <log id>#space}, {@code #trial-NNNNNN}, {@code #end}, all in one partition (chosen by
 * the log id), so a log's records keep their order. Writes wait until this view has read them back, so a reader
 * sees its own writes.
 */
final class TrialLogView implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String SEPARATOR = "#";

    private final KafkaSettings settings;
    private final String topic;
    private final KafkaProducer<String, byte[]> producer;
    private final Map<String, Map<String, Map<String, Object>>> logs = new ConcurrentHashMap<>();
    private final Map<Integer, Long> positions = new ConcurrentHashMap<>();
    private final List<BiConsumer<String, Map<String, Object>>> listeners = new CopyOnWriteArrayList<>();
    private final Object progress = new Object();
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile boolean stopping;
    private volatile Throwable failure;
    private int partitions;

    TrialLogView(KafkaSettings settings, String topic, String server) {
        this.settings = settings;
        this.topic = topic;
        this.producer = Clients.producer(settings.bootstrapServers(), settings.clientProperties(),
                "pot4j-trial-log-" + server, 1_048_576, 30_000);
    }

    /** Opens the reader on every partition from the beginning; {@link #run} then reads. */
    void open(String server) {
        KafkaConsumer<String, byte[]> reader = Clients.consumer(settings.bootstrapServers(), settings.clientProperties(),
                "pot4j-trial-log-reader-" + server, null, Map.of());
        List<PartitionInfo> infos = reader.partitionsFor(topic, Duration.ofSeconds(15));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (infos.isEmpty() && System.nanoTime() < deadline) { // created just now by another server
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Pot4jException("CANCELLED", "interrupted while opening " + topic);
            }
            infos = reader.partitionsFor(topic, Duration.ofSeconds(15));
        }
        if (infos.isEmpty()) {
            KafkaRequestServer.closeQuietly(reader);
            throw new Pot4jException("OUTPUT_ERROR", "topic " + topic + " has no partitions after 60 s");
        }
        List<TopicPartition> all = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        partitions = all.size();
        reader.assign(all);
        reader.seekToBeginning(all);
        consumer = reader;
    }

    /** Reads until {@link #close}; the latest record per key, tombstones remove. */
    void run() {
        try {
            while (!stopping) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    apply(record);
                }
                synchronized (progress) {
                    for (TopicPartition partition : consumer.assignment()) {
                        positions.put(partition.partition(), consumer.position(partition));
                    }
                    progress.notifyAll();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (Throwable e) {
            failure = e;
            synchronized (progress) {
                progress.notifyAll();
            }
        } finally {
            KafkaRequestServer.closeQuietly(consumer);
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        String key = record.key();
        int at = key == null ? -1 : key.lastIndexOf(SEPARATOR);
        if (at < 0) {
            return;
        }
        String logId = key.substring(0, at);
        String entry = key.substring(at + 1);
        if (record.value() == null) {
            Map<String, Map<String, Object>> log = logs.get(logId);
            if (log != null) {
                log.remove(entry);
            }
            return;
        }
        Map<String, Object> value;
        try {
            value = JSON.readValue(record.value(), new TypeReference<Map<String, Object>>() { });
        } catch (java.io.IOException e) {
            return; // not ours to read: a log record is a JSON object
        }
        logs.computeIfAbsent(logId, id -> new ConcurrentHashMap<>()).put(entry, value);
        for (BiConsumer<String, Map<String, Object>> listener : listeners) {
            try {
                listener.accept(logId, value);
            } catch (RuntimeException e) {
                // one listener's problem is its own
            }
        }
    }

    void addListener(BiConsumer<String, Map<String, Object>> listener) {
        listeners.add(listener);
    }

    void removeListener(BiConsumer<String, Map<String, Object>> listener) {
        listeners.remove(listener);
    }

    /** The latest records of a log, by entry ({@code space}, {@code trial-000003}, {@code end}). */
    Map<String, Map<String, Object>> log(String logId) {
        Map<String, Map<String, Object>> log = logs.get(logId);
        return log == null ? Map.of() : new HashMap<>(log);
    }

    /** The record of one entry, null when there is none. */
    Map<String, Object> entry(String logId, String entry) {
        Map<String, Map<String, Object>> log = logs.get(logId);
        return log == null ? null : log.get(entry);
    }

    static String trialEntry(int number) {
        return String.format(java.util.Locale.ROOT, "trial-%06d", number);
    }

    int partitionOf(String logId) {
        return Utils.toPositive(Utils.murmur2(logId.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % partitions;
    }

    /** Writes one entry of a log (null: deletes it) and waits until this view has read it back. */
    void write(String logId, String entry, Map<String, Object> value) {
        try {
            byte[] bytes = value == null ? null : JSON.writeValueAsBytes(value);
            RecordMetadata written = producer.send(new ProducerRecord<>(topic, partitionOf(logId),
                    logId + SEPARATOR + entry, bytes)).get(30, TimeUnit.SECONDS);
            awaitPosition(written.partition(), written.offset() + 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Pot4jException("CANCELLED", "interrupted while writing the trial log " + logId);
        } catch (Exception e) {
            throw new Pot4jException("OUTPUT_ERROR", "cannot write the trial log " + logId + " to topic " + topic
                    + ": " + e, e);
        }
    }

    /** Waits until the view has read a log's partition to its current end (a reader then sees every write before). */
    void sync(String logId) {
        int partition = partitionOf(logId);
        try (var admin = Clients.admin(settings.bootstrapServers(), settings.clientProperties(), "pot4j-trial-log-sync",
                15_000)) {
            TopicPartition tp = new TopicPartition(topic, partition);
            long end = admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest())).all()
                    .get(15, TimeUnit.SECONDS).get(tp).offset();
            awaitPosition(partition, end);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Pot4jException("CANCELLED", "interrupted while reading the trial log " + logId);
        } catch (Exception e) {
            throw new Pot4jException("OUTPUT_ERROR", "cannot read the trial log " + logId + " from topic " + topic
                    + ": " + e, e);
        }
    }

    private void awaitPosition(int partition, long offset) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        synchronized (progress) {
            while (positions.getOrDefault(partition, 0L) < offset) {
                if (failure != null || stopping) {
                    throw new Pot4jException("OUTPUT_ERROR", "the trial log reader of topic " + topic + " stopped"
                            + (failure == null ? "" : ": " + failure));
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new Pot4jException("OUTPUT_ERROR", "the trial log of topic " + topic + " was not read back"
                            + " within 60 s (partition " + partition + ", offset " + offset + ")");
                }
                progress.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    /** The entries of a log in order: the search space, the trials by number, the end. */
    static List<Map<String, Object>> ordered(Map<String, Map<String, Object>> log) {
        List<String> keys = new ArrayList<>(log.keySet());
        keys.sort((a, b) -> Integer.compare(rank(a), rank(b)) != 0 ? Integer.compare(rank(a), rank(b))
                : a.compareTo(b));
        List<Map<String, Object>> records = new ArrayList<>();
        keys.forEach(key -> records.add(new LinkedHashMap<>(log.get(key))));
        return records;
    }

    private static int rank(String entry) {
        return entry.equals("space") ? 0 : entry.equals("end") ? 2 : 1;
    }

    @Override
    public void close() {
        stopping = true;
        KafkaConsumer<String, byte[]> reader = consumer;
        if (reader != null) {
            reader.wakeup();
        }
        synchronized (progress) {
            progress.notifyAll();
        }
        try {
            producer.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            // closing
        }
    }
}
