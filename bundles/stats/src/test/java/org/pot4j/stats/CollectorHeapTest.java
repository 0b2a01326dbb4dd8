package org.pot4j.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;

/**
 * The collector keeps one float per request, channel and sample, never an activation: growing
 * the subset from 300 to 3000 samples of a 64 KB activation must not grow the heap by anything
 * near 2700 activations (170 MB), only by the reduced values (a few hundred KB).
 */
class CollectorHeapTest {

    private static final List<StatisticRequest> REQUESTS = List.of(
            StatisticRequest.perTensor("act", Reducer.MIN, Aggregator.MEAN),
            StatisticRequest.perTensor("act", Reducer.MAX, Aggregator.MEAN),
            new StatisticRequest("act", Reducer.QUANTILE, Aggregator.MEDIAN, -1, 0.999, 0),
            new StatisticRequest("act", Reducer.MEAN, Aggregator.MEAN, 1, 0, 0),
            new StatisticRequest("act", Reducer.ABS_MAX, Aggregator.MAX, 1, 0, 0));

    /** Used heap after GC at the last sample (the pass still running), minus used heap before it. */
    private static long heapGrowth(int samples) {
        long before = usedAfterGc();
        long[] atEnd = {-1};
        new StatisticsCollector(32).collect(new SyntheticSession(false), REQUESTS, samples, SyntheticSession::input,
                (done, total) -> {
                    if (done == total) atEnd[0] = usedAfterGc();
                }, null);
        assertTrue(atEnd[0] > 0);
        return atEnd[0] - before;
    }

    private static long usedAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, runtime.totalMemory() - runtime.freeMemory());
        }
        return used;
    }

    @Test
    void heapStaysFlatFrom300To3000Samples() {
        long small = heapGrowth(300);
        long large = heapGrowth(3000);
        int floatsPerSample = 1 + 1 + 1 + SyntheticSession.CHANNELS * 2;  // merged per-sample values
        long reducedBytes = 2700L * floatsPerSample * Float.BYTES;        // what 2700 more samples may add
        long activationBytes = 2700L * SyntheticSession.CHANNELS * SyntheticSession.SIDE * SyntheticSession.SIDE * 4;
        System.out.printf("heap growth: 300 samples %d KB, 3000 samples %d KB (reduced values: +%d KB; "
                + "keeping activations would be +%d KB)%n", small / 1024, large / 1024, reducedBytes / 1024,
                activationBytes / 1024);
        // generous: reduced values plus 16 MB of GC noise, still 10x below keeping activations
        assertTrue(large - small < reducedBytes + 16L * 1024 * 1024,
                "heap grew by " + (large - small) / 1024 + " KB from 300 to 3000 samples");
        assertEquals(3000, new StatisticsCollector(32).collect(new SyntheticSession(false), REQUESTS.subList(0, 1),
                3000, SyntheticSession::input, null, null).samples());
    }
}
