package org.pot4j.algorithm.accuracyaware.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import org.pot4j.api.algorithm.EvaluationResult;

/**
 * Judging a candidate on a subset of the validation set first. The FP32 model and every candidate are evaluated on
 * the same samples, so the candidate's full-set value is estimated as the baseline plus the paired difference
 * (candidate minus FP32 on the subset), with a margin of {@value #Z} standard errors of the per-sample differences.
 * A candidate goes on to the full set only when the estimate says the bound may hold (its gap is within the margin);
 * the others are judged by the estimate alone. A metric without per-sample values gets an infinite margin: every
 * candidate is then confirmed on the full set.
 */
final class SubsetAcceptance {
    /** Standard errors of the margin: a candidate that meets the bound is sent to the full set 97.7 % of the time. */
    static final double Z = 2.0;

    private final int[] indices;
    private final EvaluationResult fp32;
    private final Criteria criteria;

    SubsetAcceptance(int[] indices, EvaluationResult fp32, Criteria criteria) {
        this.indices = indices;
        this.fp32 = fp32;
        this.criteria = criteria;
    }

    int[] indices() {
        return indices;
    }

    /** The full-set value of each criteria metric estimated from a candidate's subset evaluation. */
    Map<String, Double> estimate(EvaluationResult subset) {
        Map<String, Double> estimate = new LinkedHashMap<>();
        for (String metric : criteria.metricNames()) {
            double difference = subset.values().get(metric) - fp32.values().get(metric);
            estimate.put(metric, criteria.baselines().get(metric) + difference);
        }
        return estimate;
    }

    /** Per metric, {@value #Z} standard errors of the paired per-sample difference, in drop units. */
    Map<String, Double> margins(EvaluationResult subset) {
        Map<String, Double> margins = new LinkedHashMap<>();
        for (String metric : criteria.metricNames()) {
            double standardError = PairedDifference.standardError(subset, fp32, metric);
            if (Double.isInfinite(standardError)) {
                margins.put(metric, Double.POSITIVE_INFINITY);
                continue;
            }
            margins.put(metric, criteria.inDropUnits(metric, Z * standardError));
        }
        return margins;
    }

    /** Whether the bound may hold: every metric's estimated gap is within its margin. */
    boolean mayHold(Map<String, Double> estimate, Map<String, Double> margins) {
        Map<String, Double> gaps = criteria.gaps(estimate);
        return gaps.entrySet().stream().allMatch(g -> g.getValue() <= margins.get(g.getKey()) + Criteria.EPSILON);
    }
}
