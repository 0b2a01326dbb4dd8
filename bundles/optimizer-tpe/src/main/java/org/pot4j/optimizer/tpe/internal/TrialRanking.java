package org.pot4j.optimizer.tpe.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * POT's best-result rule and the Pareto front. Best: among trials within the accuracy threshold,
 * the largest speed-up (ties: the smaller accuracy loss, then the earlier trial); when none is
 * within it, the lowest loss. Without latency measurements the speed-up is 1 for all.
 */
final class TrialRanking {
    private TrialRanking() {
    }

    record Scored(TrialRecord trial, double loss) {
    }

    static Optional<Scored> best(List<Scored> trials, double accuracyThreshold) {
        Comparator<Scored> bySpeed = Comparator.comparingDouble((Scored s) -> -speedup(s.trial()))
                .thenComparingDouble(s -> s.trial().accuracyLoss())
                .thenComparingInt(s -> s.trial().number());
        Optional<Scored> accurate = trials.stream().filter(s -> s.trial().accuracyLoss() <= accuracyThreshold)
                .min(bySpeed);
        if (accurate.isPresent()) {
            return accurate;
        }
        return trials.stream().min(Comparator.comparingDouble(Scored::loss).thenComparingInt(s -> s.trial().number()));
    }

    static boolean meetsTarget(TrialRecord trial, double accuracyThreshold, double latencyThreshold) {
        return trial.accuracyLoss() <= accuracyThreshold
                && (!Double.isFinite(trial.latencyRatio()) || trial.speedup() >= latencyThreshold);
    }

    /** Trials no other trial beats on both accuracy loss and latency ratio (lower is better for both). */
    static List<TrialRecord> paretoFront(List<TrialRecord> trials) {
        List<TrialRecord> front = new ArrayList<>();
        for (TrialRecord candidate : trials) {
            boolean dominated = false;
            for (TrialRecord other : trials) {
                if (other != candidate && dominates(other, candidate)) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated && front.stream().noneMatch(t -> t.key().equals(candidate.key()))) {
                front.add(candidate);
            }
        }
        front.sort(Comparator.comparingDouble(TrialRecord::accuracyLoss));
        return front;
    }

    private static boolean dominates(TrialRecord a, TrialRecord b) {
        double la = ratio(a);
        double lb = ratio(b);
        return a.accuracyLoss() <= b.accuracyLoss() && la <= lb
                && (a.accuracyLoss() < b.accuracyLoss() || la < lb);
    }

    private static double ratio(TrialRecord trial) {
        return Double.isFinite(trial.latencyRatio()) ? trial.latencyRatio() : 1.0;
    }

    private static double speedup(TrialRecord trial) {
        return Double.isFinite(trial.latencyRatio()) ? trial.speedup() : 1.0;
    }
}
