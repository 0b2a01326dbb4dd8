package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.monitor.JobRecord;
import org.pot4j.api.monitor.MetricFamily;

class GroupJobDirectoryTest {

    @Test
    void theJobStatesBecomeRecordsAsPotJobsListsThem() {
        JobStates states = new JobStates();
        Instant at = Instant.parse("2026-01-01T00:00:00Z");
        Map<String, Object> summary = new HashMap<>();
        summary.put("model_name", "cnn");
        summary.put("warning", null); // JSON null in a summary
        states.put("done", Messages.jobState(new JobEvent("done", 9, at, JobEventType.COMPLETED, null, null, null,
                null, "completed", null, summary), "COMPLETED", "server-a"));
        Map<String, Object> interrupted = new LinkedHashMap<>(Messages.jobState(new JobEvent("moved", 4, at,
                JobEventType.STAGE, "interrupted", null, null, null, "server stopping", "SERVER_STOPPING", null),
                Messages.INTERRUPTED, "server-b"));
        states.put("moved", interrupted);
        Map<String, Object> foreign = new LinkedHashMap<>();
        foreign.put("job_id", "foreign");
        states.put("foreign", foreign); // no state: skipped
        Map<String, JobRecord> records = GroupJobDirectory.records(states.all()).stream()
                .collect(Collectors.toMap(JobRecord::jobId, Function.identity()));
        assertEquals(2, records.size());
        JobRecord done = records.get("done");
        assertEquals("COMPLETED", done.state());
        assertEquals(at, done.updated());
        assertEquals("server-a", done.server());
        assertEquals("cnn", done.summary().get("model_name"));
        assertNull(done.summary().get("warning"));
        JobRecord moved = records.get("moved");
        assertEquals("INTERRUPTED", moved.state());
        assertEquals("SERVER_STOPPING", moved.code());
        assertEquals("server-b", moved.server());
    }

    @Test
    void theServerCountsDeadLettersAndKnowsItsLag() {
        ServerMetrics metrics = new ServerMetrics();
        metrics.deadLettered("MALFORMED_JSON");
        metrics.deadLettered("MALFORMED_JSON");
        metrics.deadLettered("TOO_LARGE");
        metrics.lag(Map.of(new TopicPartition("req", 1), 5L, new TopicPartition("req", 0), 0L));
        Map<String, MetricFamily> families = metrics.families("req", "req.dlq").stream()
                .collect(Collectors.toMap(MetricFamily::name, Function.identity()));
        List<MetricFamily.Sample> dead = families.get("pot4j_dlq_records_total").samples();
        assertEquals(MetricFamily.Type.COUNTER, families.get("pot4j_dlq_records_total").type());
        assertEquals(List.of(new MetricFamily.Sample(Map.of("topic", "req.dlq", "reason", "MALFORMED_JSON"), 2),
                new MetricFamily.Sample(Map.of("topic", "req.dlq", "reason", "TOO_LARGE"), 1)), dead);
        assertEquals(List.of(new MetricFamily.Sample(Map.of("topic", "req", "partition", "0"), 0),
                new MetricFamily.Sample(Map.of("topic", "req", "partition", "1"), 5)),
                families.get("pot4j_kafka_consumer_lag").samples());
    }
}
