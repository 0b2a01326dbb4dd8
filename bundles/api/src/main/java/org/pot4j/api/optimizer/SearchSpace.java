package org.pot4j.api.optimizer;

import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;
import org.pot4j.api.algorithm.AlgorithmContext;

/**
 * What a {@link TunableAlgorithm} prepared once for a job: the search parameters and how to apply
 * one choice per parameter to the context's model and plan (cheap: no statistics pass).
 */
@ConsumerType
public interface SearchSpace {

    List<SearchParameter> parameters();

    /** Sets the context's plan (and model) for {@code choices}; a missing parameter takes its reference choice. */
    void apply(AlgorithmContext context, Map<String, String> choices) throws Exception;

    /** The fraction of tunable layers {@code choices} quantize (POT's quantization ratio); 1 when all are. */
    default double quantizedFraction(Map<String, String> choices) {
        return 1.0;
    }
}
