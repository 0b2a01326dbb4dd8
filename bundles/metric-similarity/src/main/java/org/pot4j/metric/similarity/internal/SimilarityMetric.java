package org.pot4j.metric.similarity.internal;

import java.util.List;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.metric.Metric;
import org.pot4j.api.metric.MetricAccumulator;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.Parameters;

/**
 * Annotation-free comparison of the model's output with the FP32 model's output for the same
 * sample (POT's simplified mode): cosine similarity, SQNR in dB, or mean squared error.
 */
@Component(service = Metric.class, property = Metric.PROPERTY + "=similarity")
public final class SimilarityMetric implements Metric {
    static final String TYPE = "type";

    private static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.choice(TYPE, SimilarityType.COSINE.key, SimilarityType.KEYS,
                    "cosine (higher is better), sqnr in dB (higher is better) or mse (lower is better)"));

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    @Override
    public boolean requiresAnnotation() {
        return false;
    }

    @Override
    public boolean requiresReference() {
        return true;
    }

    @Override
    public MetricAccumulator create(Parameters parameters) {
        Parameters p = parameters.validate(PARAMETERS);
        return new SimilarityAccumulator(SimilarityType.of(p.string(TYPE)));
    }
}
