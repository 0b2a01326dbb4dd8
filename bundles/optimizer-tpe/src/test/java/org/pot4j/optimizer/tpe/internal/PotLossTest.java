package org.pot4j.optimizer.tpe.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** POT's loss and best-result rule on hand-made trials. */
class PotLossTest {
    // threshold 1 % accuracy loss, 1.5x speed-up wanted, both weights 1; reference: 3 % loss, 2x faster
    private final PotLoss loss = PotLoss.fromReference(0.01, 1.5, 1, 1, 0.5, 0, 0.03, 2.0);

    @Test
    void theReferenceScoresTenOnTheAccuracyTermPlusThePenalty() {
        // the reference is not within 1 %: its accuracy term is scaled to 10, and 80 is added; latency term 0
        assertEquals(90, loss.of(0.03, 2.0, 1), 1e-9);
    }

    @Test
    void accurateTrialsAreRankedByLatencyAndSlowOnesPenalised() {
        double fastAccurate = loss.of(0.005, 2.5, 1);
        double slowAccurate = loss.of(0.005, 1.2, 1);
        double inaccurate = loss.of(0.05, 3.0, 1);
        assertTrue(fastAccurate < slowAccurate, fastAccurate + " vs " + slowAccurate);
        assertTrue(slowAccurate >= 40, "below latency_reduce: +40, got " + slowAccurate);
        assertTrue(inaccurate >= 80 && inaccurate > slowAccurate, "beyond accuracy_loss: +80, got " + inaccurate);
        // no latency measured: only the accuracy side counts
        assertEquals(0, loss.of(0.005, Double.NaN, 1), 1e-9);
    }

    @Test
    void bestIsTheFastestWithinTheThresholdElseTheLowestLoss() {
        TrialRecord a = trial(0, 0.02, 0.4);
        TrialRecord b = trial(1, 0.009, 0.8);
        TrialRecord c = trial(2, 0.001, 0.9);
        List<TrialRanking.Scored> scored = List.of(new TrialRanking.Scored(a, 1), new TrialRanking.Scored(b, 50),
                new TrialRanking.Scored(c, 60));
        assertEquals(1, TrialRanking.best(scored, 0.01).orElseThrow().trial().number());
        assertEquals(0, TrialRanking.best(scored, 0.0001).orElseThrow().trial().number());
        assertEquals(List.of(2, 1, 0), TrialRanking.paretoFront(List.of(a, b, c, trial(3, 0.02, 0.95))).stream()
                .map(TrialRecord::number).toList());
    }

    private static TrialRecord trial(int number, double accuracyLoss, double latencyRatio) {
        return new TrialRecord(number, Map.of("conv", "t" + number), Map.of(), Map.of(), accuracyLoss, latencyRatio,
                1, 0, false, false, null);
    }
}
