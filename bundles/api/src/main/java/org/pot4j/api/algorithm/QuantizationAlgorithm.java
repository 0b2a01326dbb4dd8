package org.pot4j.api.algorithm;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;

/**
 * A quantization algorithm, in NNCF's two phases: declare the statistics it needs on the
 * context's current model, then apply with the collected statistics. The orchestrator merges the
 * requests of algorithms that can share a pass. Registered with {@value #PROPERTY} = its POT name
 * (e.g. "MinMaxQuantization", "DefaultQuantization").
 */
@ConsumerType
public interface QuantizationAlgorithm {
    String PROPERTY = "pot4j.algorithm";

    /** Declared parameters, with POT's defaults; the orchestrator validates params against them up front. */
    List<ParameterDescriptor> parameters();

    /** Statistics needed on {@code context.model()}; empty when none. */
    default List<StatisticRequest> statistics(AlgorithmContext context) {
        return List.of();
    }

    /** Edits the context's model and/or plan. Checks {@link AlgorithmContext#checkCancelled()} between steps. */
    void apply(AlgorithmContext context, Statistics statistics) throws Exception;
}
