package org.pot4j.api.metric;

import org.osgi.annotation.versioning.ConsumerType;

/** Accumulates one metric over samples of one evaluation. Not thread-safe. */
@ConsumerType
public interface MetricAccumulator {

    /** The name results are reported under, e.g. "accuracy" or "accuracy@top5". */
    String name();

    void update(MetricInput input);

    /** The value over every sample seen; accuracy is a fraction in [0, 1]. */
    double value();

    boolean higherIsBetter();

    /** One value per sample seen, in update order (for AccuracyAware ranking). */
    double[] perSampleValues();
}
