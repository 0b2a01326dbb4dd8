package org.pot4j.kafka.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.TopicPartition;
import org.pot4j.api.monitor.MetricFamily;
import org.pot4j.api.monitor.MetricFamily.Sample;

/**
 * What a serving process counts for {@code /metrics}: the records it sent to the DLQ (by reason), and the lag of its
 * request consumer per assigned partition (records not yet read), as last seen by the request loop's own thread.
 */
final class ServerMetrics {
    private final Map<String, LongAdder> deadLettered = new ConcurrentHashMap<>();
    private volatile Map<TopicPartition, Long> lag = Map.of();

    /** The DLQ acknowledged one record, sent for {@code reason}. */
    void deadLettered(String reason) {
        deadLettered.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    /** The request consumer's lag now, per assigned partition whose lag it knows. */
    void lag(Map<TopicPartition, Long> lagNow) {
        lag = Map.copyOf(lagNow);
    }

    List<MetricFamily> families(String requestsTopic, String dlqTopic) {
        List<Sample> dead = new ArrayList<>();
        new TreeMap<>(deadLettered).forEach((reason, count) ->
                dead.add(new Sample(Map.of("topic", dlqTopic, "reason", reason), count.sum())));
        List<Sample> lags = new ArrayList<>();
        Map<Integer, Long> byPartition = new TreeMap<>();
        lag.forEach((partition, records) -> byPartition.put(partition.partition(), records));
        byPartition.forEach((partition, records) -> lags.add(new Sample(
                Map.of("topic", requestsTopic, "partition", Integer.toString(partition)), records)));
        return List.of(
                new MetricFamily("pot4j_dlq_records_total", "Records this server sent to the dead-letter queue, by"
                        + " reason (acknowledged by the broker).", MetricFamily.Type.COUNTER, dead),
                new MetricFamily("pot4j_kafka_consumer_lag", "Requests not yet read by this server's request consumer,"
                        + " per assigned partition whose lag it knows.", MetricFamily.Type.GAUGE, lags));
    }
}
