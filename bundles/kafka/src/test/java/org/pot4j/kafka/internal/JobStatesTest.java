package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A cancel recorded for a job no server had taken yet decides whether a request is run when consumed. */
class JobStatesTest {

    @Test
    void aRequestSentBeforeItsJobWasCancelledIsNotRunOneSentAfterIs() {
        Map<String, Object> cancelled = Map.of("job_id", "q", "state", "CANCELLED", JobStates.CANCELLED_AT, 1_000L,
                "updated", "1970-01-01T00:00:01Z");
        assertTrue(JobStates.cancelledSince(cancelled, 999), "queued before the cancel");
        assertTrue(JobStates.cancelledSince(cancelled, 1_000));
        assertFalse(JobStates.cancelledSince(cancelled, 1_001), "the id submitted again after the cancel runs");
        // a CANCELLED state without the cancel's time (cancelled while running): its update time decides
        assertTrue(JobStates.cancelledSince(Map.of("state", "CANCELLED", "updated", "1970-01-01T00:00:02Z"), 1_500));
        assertFalse(JobStates.cancelledSince(Map.of("state", "COMPLETED", "updated", "1970-01-01T00:00:02Z"), 1_500));
        assertFalse(JobStates.cancelledSince(Map.of("state", "INTERRUPTED", "updated", "1970-01-01T00:00:02Z"), 1_500));
        assertFalse(JobStates.cancelledSince(null, 1_500));
    }

    @Test
    void sequencesContinueAfterTheLastRecordedOne() {
        assertEquals(58, JobStates.nextSequence(Map.of("state", "INTERRUPTED", "sequence", 57)));
        assertEquals(0, JobStates.nextSequence(Map.of("state", "COMPLETED")));
        assertEquals(0, JobStates.nextSequence(null));
    }
}
