package org.pot4j.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.monitor.JobRecord;

class JobListTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static JobView running(String id) {
        JobView view = new JobView(id);
        view.apply(new JobEvent(id, 0, T0, JobEventType.ACCEPTED, null, null, null, null, null, null,
                Map.of("model", "cnn", "device", "CPU")));
        view.apply(new JobEvent(id, 1, T0, JobEventType.STARTED, null, null, null, null, null, null, null));
        view.apply(new JobEvent(id, 2, T0, JobEventType.STAGE, "fp32 evaluation", null, null, null, null, null, null));
        return view;
    }

    @Test
    void theGroupsRecordsAndThisServersViewsMakeOneList() {
        List<JobView> views = List.of(running("mine"), running("moved"), running("stopped"));
        List<JobRecord> records = List.of(
                new JobRecord("mine", "STARTED", T0, "load model", null, null, "here-1", null),
                new JobRecord("moved", "STARTED", T0, "int8 evaluation", null, null, "other-2", null),
                new JobRecord("stopped", "INTERRUPTED", T0, "interrupted", "server stopping", "SERVER_STOPPING",
                        "here-1", null),
                new JobRecord("theirs", "COMPLETED", T0, null, null, null, "other-2",
                        Map.of("model_name", "resnet", "int8_metrics", Map.of("accuracy", 0.9), "seconds", 12.5)));
        Map<String, Map<String, Object>> rows = JobList.merge(views, records, "here-1").stream()
                .collect(Collectors.toMap(r -> (String) r.get("id"), Function.identity()));
        assertEquals(4, rows.size());
        // this server's job: its events are ahead of the topic
        assertEquals("fp32 evaluation", rows.get("mine").get("stage"));
        assertEquals("here-1", rows.get("mine").get("server"));
        // a job another server took over: the record's state and server
        assertEquals("int8 evaluation", rows.get("moved").get("stage"));
        assertEquals("other-2", rows.get("moved").get("server"));
        // a state only the topic has
        assertEquals("INTERRUPTED", rows.get("stopped").get("state"));
        // a job this server never saw: from its record, with its final metrics
        Map<String, Object> theirs = rows.get("theirs");
        assertEquals("COMPLETED", theirs.get("state"));
        assertEquals("other-2", theirs.get("server"));
        assertEquals("resnet", theirs.get("model"));
        assertEquals(Map.of("accuracy", 0.9), theirs.get("int8"));
        assertEquals(T0.toString(), theirs.get("finished"));
    }

    @Test
    void withoutADirectoryTheViewsHaveNoServer() {
        Map<String, Object> row = JobList.merge(List.of(running("a")), List.of(), null).get(0);
        assertNull(row.get("server"));
        assertEquals("STARTED", row.get("state"));
    }
}
