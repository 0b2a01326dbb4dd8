package org.pot4j.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;

class JobViewTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static JobEvent event(long seq, JobEventType type, String stage, Map<String, Object> details) {
        return new JobEvent("j", seq, T0.plusSeconds(seq), type, stage, null, null, null, type.name(), null, details);
    }

    @Test
    void eventsFoldIntoTheRowAndStagesEnd() {
        JobView view = new JobView("j");
        view.apply(event(0, JobEventType.ACCEPTED, null, Map.of("model", "cnn", "device", "CPU")));
        view.apply(event(1, JobEventType.STARTED, null, null));
        assertNull(view.apply(event(2, JobEventType.STAGE, "load model", null)));
        Map.Entry<String, Double> ended = view.apply(event(5, JobEventType.STAGE, "fp32 evaluation", null));
        assertEquals(Map.entry("load model", 3.0), ended);
        assertEquals("STARTED", view.state());
        ended = view.apply(event(9, JobEventType.COMPLETED, null,
                Map.of("model", "/srv/outputs/cnn/optimized/cnn.onnx")));
        assertEquals(Map.entry("fp32 evaluation", 4.0), ended);
        Map<String, Object> row = view.row();
        assertEquals("COMPLETED", row.get("state"));
        assertEquals("cnn", row.get("model"));
        assertEquals(8.0, row.get("seconds"));
        assertEquals(Path.of("/srv/outputs/cnn"), view.outputFolder());
    }

    @Test
    void aNoticeWithinAStageDoesNotStartItAgain() {
        JobView view = new JobView("j");
        view.apply(event(0, JobEventType.ACCEPTED, null, null));
        view.apply(event(1, JobEventType.STAGE, "MinMax: statistics", null));
        assertNull(view.apply(event(2, JobEventType.STAGE, "MinMax: statistics", Map.of("statistics_cache", "miss"))));
        assertEquals(Map.entry("MinMax: statistics", 3.0), view.apply(event(4, JobEventType.STAGE, "MinMax", null)));
        assertEquals(2, ((java.util.List<?>) view.detail().get("stages")).size());
    }

    @Test
    void aSecondSubmitRejectedAsDuplicateDoesNotEndTheRunningJob() {
        JobView view = new JobView("j");
        view.apply(event(0, JobEventType.ACCEPTED, null, null));
        view.apply(event(1, JobEventType.STARTED, null, null));
        view.apply(new JobEvent("j", 0, T0, JobEventType.REJECTED, null, null, null, null,
                "job j is already started", "DUPLICATE_JOB", null));
        assertEquals("STARTED", view.state());
        assertNull(view.row().get("finished"));
        assertEquals(3, ((java.util.List<?>) view.detail().get("events")).size());
    }

    @Test
    void aRejectionKeepsItsCodeAndNamedField() {
        JobView view = new JobView("j");
        view.apply(new JobEvent("j", 0, T0, JobEventType.REJECTED, null, null, null, null,
                "invalid engine.dataset: (missing)", "INVALID_INPUT", Map.of("field", "engine.dataset")));
        Map<String, Object> row = view.row();
        assertEquals("REJECTED", row.get("state"));
        assertEquals("INVALID_INPUT", row.get("code"));
        assertEquals(Map.of("field", "engine.dataset"), row.get("error"));
    }
}
