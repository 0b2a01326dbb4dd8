package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A cancel recorded for a job no server had taken yet decides whether a request is run when consumed; how runs of a
 * job number their events.
 */
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
    void eachRunNumbersItsEventsInABlockOfItsOwn() {
        long span = JobStates.RUN_SPAN;
        assertEquals(0, JobStates.nextRunStart(null), "the first run numbers from 0");
        // a run killed after progress its state does not record (sequence 119 was its 200th event): the next run
        // cannot know how far it went, so it numbers from the next block
        assertEquals(span, JobStates.nextRunStart(Map.of("state", "STARTED", "sequence", 119)));
        assertEquals(2 * span, JobStates.nextRunStart(Map.of("state", "STARTED", "sequence", span + 5)));
        assertEquals(4 * span, JobStates.nextRunStart(Map.of("state", "INTERRUPTED", "run", 3, "sequence", 7)),
                "the state's run field wins");
        assertEquals(1, JobStates.runOf(span + 1));
        Map<String, Object> event = Messages.event(new org.pot4j.api.job.JobEvent("j", 2 * span + 4,
                java.time.Instant.now(), org.pot4j.api.job.JobEventType.PROGRESS, null, 1L, 2L, null, null, null, null),
                "s");
        assertEquals(2L, event.get("run"), "events say their run");
    }

    @Test
    void anEventOutsideARunFollowsAnEndedJobOrStartsANewRun() {
        assertEquals(58, JobStates.nextSequence(Map.of("state", "COMPLETED", "sequence", 57)), "nothing follows an end");
        assertEquals(JobStates.RUN_SPAN, JobStates.nextSequence(Map.of("state", "INTERRUPTED", "sequence", 57)),
                "a run that did not end may have gone past its state");
        assertEquals(JobStates.RUN_SPAN, JobStates.nextSequence(Map.of("state", "STARTED", "sequence", 57)));
        assertEquals(0, JobStates.nextSequence(null));
    }
}
