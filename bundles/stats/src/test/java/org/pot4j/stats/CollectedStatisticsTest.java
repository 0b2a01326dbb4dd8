package org.pot4j.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;

class CollectedStatisticsTest {

    private static CollectedStatistics collected() {
        List<StatisticRequest> requests = List.of(
                StatisticRequest.perTensor("act", Reducer.MIN, Aggregator.MEAN),
                new StatisticRequest("act", Reducer.ABS_QUANTILE, Aggregator.MEAN_NO_OUTLIERS, 1, 0.999, 0.01),
                StatisticRequest.perTensor("out", Reducer.MAX, Aggregator.HL_ESTIMATOR));
        return new StatisticsCollector().collect(new SyntheticSession(false), requests, 50, SyntheticSession::input,
                null, null);
    }

    @Test
    void roundTripsThroughBytes() throws IOException {
        CollectedStatistics original = collected();
        byte[] bytes = original.toBytes();
        CollectedStatistics restored = CollectedStatistics.fromBytes(bytes);
        assertEquals(original, restored);
        assertEquals(50, restored.samples());
        for (StatisticRequest request : original.requests()) {
            assertArrayEquals(original.get(request), restored.get(request));
        }
        assertTrue(bytes.length < 400, "small: " + bytes.length + " bytes");
    }

    @Test
    void corruptOrForeignBytesAreRejected() {
        byte[] bytes = collected().toBytes();
        assertThrows(IOException.class, () -> CollectedStatistics.fromBytes(Arrays.copyOf(bytes, bytes.length - 3)));
        byte[] foreign = bytes.clone();
        foreign[0] = 'X';
        assertThrows(IOException.class, () -> CollectedStatistics.fromBytes(foreign));
    }

    @Test
    void parametersAReducerIgnoresDoNotMatter() {
        CollectedStatistics statistics = collected();
        StatisticRequest sameMin = new StatisticRequest("act", Reducer.MIN, Aggregator.MEAN, -1, 0.42, 0.3);
        assertTrue(statistics.contains(sameMin));
        assertFalse(statistics.contains(new StatisticRequest("act", Reducer.ABS_QUANTILE, Aggregator.MEAN_NO_OUTLIERS,
                1, 0.99, 0.01)), "another quantile level is another statistic");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> statistics.get(StatisticRequest.perTensor("act", Reducer.MAX, Aggregator.MEAN)));
        assertTrue(missing.getMessage().contains("not collected"));
    }
}
