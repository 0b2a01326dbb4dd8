package org.pot4j.optimizer.tpe.internal;

/**
 * POT's TPE loss ({@code tpe/algorithm.py}). With a the relative accuracy loss and l the speed-up
 * (FP32 latency / trial latency), A(x) = e^x and L(x) = ln((1 / (1000 x))^8); the scales come from
 * the reference trial (the untuned configuration) so that its terms are 10:
 * loss = w_a' · s_a · (A(a) − A(0)) + w_l · s_l · (L(l) − L(l_ref)) − w_q · 5 · tanh(3 (q − q0) / min(q0, 1 − q0)),
 * where w_a' is the accuracy weight only when a exceeds the threshold, plus 80 when it does, or else
 * 40 when the speed-up is below {@code latency_reduce}. Without a latency measurement (benchmark
 * duration 0) the latency terms are 0.
 */
record PotLoss(double accuracyThreshold, double latencyThreshold, double accuracyWeight, double latencyWeight,
               double expectedQuantizationRatio, double quantizationRatioWeight, double accuracyScale,
               double latencyMin, double latencyScale) {

    static double accuracyTerm(double a) {
        return Math.exp(a);
    }

    static double latencyTerm(double speedup) {
        return Math.log(Math.pow(1.0 / (1000.0 * speedup), 8));
    }

    /** The scales fixed by the reference trial's accuracy loss and speed-up. */
    static PotLoss fromReference(double accuracyThreshold, double latencyThreshold, double accuracyWeight,
                                 double latencyWeight, double expectedQuantizationRatio,
                                 double quantizationRatioWeight, double referenceLoss, double referenceSpeedup) {
        double accuracyMin = accuracyTerm(0);
        double accuracySpan = Math.abs(accuracyTerm(referenceLoss) - accuracyMin);
        if (accuracySpan == 0 || !Double.isFinite(accuracySpan)) {
            accuracySpan = Math.abs(accuracyTerm(accuracyThreshold) - accuracyMin);
        }
        double latencyMin = Double.isFinite(referenceSpeedup) ? latencyTerm(referenceSpeedup) : 0;
        double latencySpan = Double.isFinite(referenceSpeedup) ? Math.abs(latencyTerm(1) - latencyMin) : 0;
        if (latencySpan == 0 && Double.isFinite(referenceSpeedup)) {
            latencySpan = Math.abs(latencyTerm(latencyThreshold) - latencyMin);
        }
        return new PotLoss(accuracyThreshold, latencyThreshold, accuracyWeight, latencyWeight,
                expectedQuantizationRatio, quantizationRatioWeight, 10 / accuracySpan, latencyMin,
                latencySpan == 0 ? 0 : 10 / latencySpan);
    }

    /** The loss of a trial with relative accuracy loss {@code a}, speed-up {@code speedup} (NaN: not measured). */
    double of(double a, double speedup, double quantizedFraction) {
        boolean accurate = a <= accuracyThreshold;
        double loss = (accurate ? 0 : accuracyWeight) * accuracyScale * (accuracyTerm(a) - accuracyTerm(0));
        boolean timed = Double.isFinite(speedup) && latencyScale > 0;
        if (timed) {
            loss += latencyWeight * latencyScale * (latencyTerm(speedup) - latencyMin);
        }
        double q0 = expectedQuantizationRatio;
        if (quantizationRatioWeight != 0) {
            loss -= quantizationRatioWeight * 5 * Math.tanh(3 * (quantizedFraction - q0) / Math.min(q0, 1 - q0));
        }
        if (!accurate) {
            loss += 80;
        } else if (timed && speedup < latencyThreshold) {
            loss += 40;
        }
        return loss;
    }
}
