package org.pot4j.algorithm.accuracyaware.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * What AccuracyAware does when single reverts stall (each one undone, or none helping): revert
 * the top {@code k} layers of a ranking at once, bisect the smallest {@code k} that meets the
 * bound, then give layers back their quantization one at a time, least helpful first, while the
 * bound still holds. Layers whose errors only matter together (a pair feeding one Add, tied
 * quantizers) are found this way, and the result keeps as few layers float as the trials show.
 * Each trial is one requantization and one evaluation; {@code budget} bounds them.
 */
final class GroupSearch {

    /** Evaluates the model with {@code reverted} in floating point. */
    interface Trial {
        QuantizedState evaluate(List<String> reverted) throws Exception;
    }

    /** The best state that meets the bound (null when none did) and the trials spent. */
    record Outcome(QuantizedState result, int trials, String summary) {
    }

    private final Trial trial;
    private final Criteria criteria;
    private int budget;
    private int trials;

    GroupSearch(Trial trial, Criteria criteria, int budget) {
        this.trial = trial;
        this.criteria = criteria;
        this.budget = budget;
    }

    /**
     * Trials the search needs to find its group among {@code layers}: all of them, then the
     * bisection. With fewer left, single reverts use the iterations better.
     */
    static int trialsToBisect(int layers) {
        return 1 + (32 - Integer.numberOfLeadingZeros(Math.max(0, layers - 1)));
    }

    /** Searches over {@code order} (most helpful first), on top of the layers {@code reverted} already. */
    Outcome run(List<String> reverted, List<String> order) throws Exception {
        if (order.isEmpty() || budget <= 0) {
            return new Outcome(null, 0, "nothing to search");
        }
        QuantizedState all = evaluate(reverted, order);
        if (!criteria.satisfied(all.values())) {
            return new Outcome(null, trials, "the bound is not met even with all " + order.size()
                    + " ranked layers float");
        }
        QuantizedState best = all;
        int unsatisfied = 0;
        int satisfied = order.size();
        while (satisfied - unsatisfied > 1 && budget > 0) {
            int middle = (unsatisfied + satisfied) / 2;
            QuantizedState candidate = evaluate(reverted, order.subList(0, middle));
            if (criteria.satisfied(candidate.values())) {
                satisfied = middle;
                best = candidate;
            } else {
                unsatisfied = middle;
            }
        }
        List<String> group = new ArrayList<>(order.subList(0, satisfied));
        for (int i = group.size() - 1; i >= 0 && budget > 0 && group.size() > 1; i--) {
            List<String> without = new ArrayList<>(group);
            without.remove(i);
            QuantizedState candidate = evaluate(reverted, without);
            if (criteria.satisfied(candidate.values())) {
                group = without;
                best = candidate;
            }
        }
        return new Outcome(best, trials, "top " + satisfied + " of " + order.size() + " ranked layers meet the bound; "
                + "kept float after giving layers back: " + group);
    }

    private QuantizedState evaluate(List<String> reverted, List<String> group) throws Exception {
        List<String> all = new ArrayList<>(reverted);
        group.stream().filter(node -> !all.contains(node)).forEach(all::add);
        budget--;
        trials++;
        return trial.evaluate(all);
    }
}
