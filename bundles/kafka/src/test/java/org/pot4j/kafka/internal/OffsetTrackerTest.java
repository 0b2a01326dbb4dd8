package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OffsetTrackerTest {

    @Test
    void commitNeverPassesAnUnfinishedRecordWhenJobsEndOutOfOrder() {
        OffsetTracker<String> tracker = new OffsetTracker<>();
        tracker.begin("p0", 10);
        tracker.begin("p0", 11);
        tracker.begin("p0", 12);
        assertEquals(10, tracker.committable("p0"));

        tracker.finish("p0", 12);
        tracker.finish("p0", 11);
        // 10 still runs: a crash now must re-deliver 10 (and with it 11, 12: de-duplicated by job id)
        assertEquals(10, tracker.committable("p0"));
        assertTrue(tracker.advanced().containsKey("p0"), "10 was never committed, so it is an advance");

        tracker.finish("p0", 10);
        assertEquals(13, tracker.committable("p0"));
        assertEquals(Map.of("p0", 13L), tracker.advanced());
        tracker.markCommitted("p0", 13);
        assertTrue(tracker.advanced().isEmpty());
    }

    @Test
    void partitionsAreIndependentAndForgottenOnRevoke() {
        OffsetTracker<String> tracker = new OffsetTracker<>();
        tracker.begin("p0", 0);
        tracker.begin("p1", 5);
        tracker.finish("p1", 5);
        assertEquals(0, tracker.committable("p0"));
        assertEquals(6, tracker.committable("p1"));
        assertEquals(1, tracker.inFlight("p0"));
        tracker.forget("p0");
        assertEquals(-1, tracker.committable("p0"));
        assertEquals(Map.of("p1", 6L), tracker.advanced());
    }

    @Test
    void aGapInOffsetsFromCompactionOrTransactionMarkersDoesNotBlock() {
        OffsetTracker<String> tracker = new OffsetTracker<>();
        tracker.begin("p0", 3);
        tracker.begin("p0", 7);
        tracker.finish("p0", 3);
        assertEquals(7, tracker.committable("p0"));
        tracker.finish("p0", 7);
        assertEquals(8, tracker.committable("p0"));
    }

    @Test
    void aRewoundRecordHoldsTheCommitBelowItUntilReadAgain() {
        OffsetTracker<String> tracker = new OffsetTracker<>();
        tracker.begin("p0", 4);
        tracker.finish("p0", 4);
        tracker.begin("p0", 5);
        tracker.rewind("p0", 5);
        assertEquals(5, tracker.committable("p0"), "5 failed and will be read again: not committed past");
        tracker.begin("p0", 5);
        tracker.finish("p0", 5);
        assertEquals(6, tracker.committable("p0"));
    }
}
