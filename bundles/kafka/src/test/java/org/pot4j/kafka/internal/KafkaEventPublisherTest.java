package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;

/** Which endings a server stop turns into interruptions, and how a re-run numbers its events (no broker needed). */
class KafkaEventPublisherTest {
    private final KafkaEventPublisher publisher = new KafkaEventPublisher(KafkaSettings.resolve(Map.of(), key -> null));

    private static JobEvent event(String jobId, long sequence, JobEventType type, String code) {
        return new JobEvent(jobId, sequence, Instant.now(), type, null, null, null, null, "m", code, null);
    }

    @Test
    void aJobEndedByTheServerStoppingIsInterruptedNotCancelled() {
        JobEvent stopped = event("j", 40, JobEventType.CANCELLED, "CANCELLED");
        assertFalse(publisher.interruptedByStop(stopped), "a cancel while serving is a cancel");
        publisher.serverStopping(true);
        assertTrue(publisher.interruptedByStop(stopped));
        assertTrue(publisher.interruptedByStop(event("j", 40, JobEventType.FAILED, "PLUGIN_REMOVED")),
                "plugins leave while the framework stops");
        assertFalse(publisher.interruptedByStop(event("j", 40, JobEventType.COMPLETED, null)));
        assertFalse(publisher.interruptedByStop(event("j", 40, JobEventType.STAGE, null)));
        publisher.cancelRequested("asked");
        assertFalse(publisher.interruptedByStop(event("asked", 3, JobEventType.CANCELLED, "CANCELLED")),
                "a user's cancel stays a cancel while the server stops");
    }

    @Test
    void aRunAfterAnEarlierOneContinuesItsSequence() {
        assertEquals(0, publisher.rebased(event("fresh", 0, JobEventType.ACCEPTED, null)).sequence());
        publisher.continueSequence("again", 58);
        assertEquals(58, publisher.rebased(event("again", 0, JobEventType.ACCEPTED, null)).sequence());
        assertEquals(61, publisher.rebased(event("again", 3, JobEventType.STAGE, null)).sequence());
        assertEquals(62, publisher.rebased(event("again", 4, JobEventType.REJECTED,
                KafkaEventPublisher.DUPLICATE_JOB)).sequence(), "a duplicate's refusal does not end the run");
        assertEquals(70, publisher.rebased(event("again", 12, JobEventType.COMPLETED, null)).sequence());
        assertEquals(0, publisher.rebased(event("again", 0, JobEventType.ACCEPTED, null)).sequence(),
                "the next run starts where its state says, told again by the server");
    }
}
