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

    /** A job's first events: accepted, started, in its second stage. */
    static List<JobEvent> started(String id) {
        return List.of(new JobEvent(id, 0, T0, JobEventType.ACCEPTED, null, null, null, null, null, null,
                        Map.of("model", "cnn", "device", "CPU")),
                new JobEvent(id, 1, T0, JobEventType.STARTED, null, null, null, null, null, null, null),
                new JobEvent(id, 2, T0, JobEventType.STAGE, "fp32 evaluation", null, null, null, null, null, null));
    }

    static JobView running(String id) {
        JobView view = new JobView(id);
        started(id).forEach(view::apply);
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
    void aRecordedStateIsPushedAsTheJobsRow() {
        LiveFeed feed = new LiveFeed();
        JobBoard board = new JobBoard(feed);
        started("mine").forEach(board::onEvent);
        JobList list = new JobList(board, null, feed);
        List<Map<String, Object>> pushed = new java.util.ArrayList<>();
        feed.listen(pushed::add);
        list.recorded(new JobRecord("mine", "STARTED", T0, "load model", null, null, null, null));
        list.recorded(new JobRecord("theirs", "COMPLETED", T0, null, null, null, "other-2",
                Map.of("model_name", "resnet")));
        list.recorded(new JobRecord("mine", "INTERRUPTED", T0, "interrupted", null, "SERVER_STOPPING", null, null));
        assertEquals(3, pushed.size());
        // this runtime's job: its view, which is ahead of the record
        assertEquals("fp32 evaluation", ((Map<?, ?>) pushed.get(0).get("job")).get("stage"));
        Map<?, ?> theirs = (Map<?, ?>) pushed.get(1).get("job");
        assertEquals(List.of("theirs", "COMPLETED", "resnet", "other-2"),
                List.of(theirs.get("id"), theirs.get("state"), theirs.get("model"), theirs.get("server")));
        assertEquals("INTERRUPTED", ((Map<?, ?>) pushed.get(2).get("job")).get("state"));
        assertEquals(Boolean.FALSE, pushed.get(2).containsKey("event"));
    }

    @Test
    void withoutADirectoryTheViewsHaveNoServer() {
        Map<String, Object> row = JobList.merge(List.of(running("a")), List.of(), null).get(0);
        assertNull(row.get("server"));
        assertEquals("STARTED", row.get("state"));
    }
}
