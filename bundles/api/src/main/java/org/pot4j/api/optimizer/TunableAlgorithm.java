package org.pot4j.api.optimizer;

import org.osgi.annotation.versioning.ConsumerType;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.statistics.Statistics;

/**
 * A {@link org.pot4j.api.algorithm.QuantizationAlgorithm} service that an optimizer can tune. Its
 * {@code statistics(context)} declares every statistic the search space can ask for, so a job
 * collects once; instead of {@code apply}, a tuning job calls {@link #prepare} with them.
 */
@ConsumerType
public interface TunableAlgorithm {

    SearchSpace prepare(AlgorithmContext context, Statistics statistics) throws Exception;
}
