package org.pot4j.metric.accuracy.internal;

import java.util.List;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.metric.Metric;
import org.pot4j.api.metric.MetricAccumulator;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;

/** Top-k classification accuracy over the model's class scores (logits or probabilities). */
@Component(service = Metric.class, property = Metric.PROPERTY + "=accuracy")
public final class AccuracyMetric implements Metric {
    static final String TOP_K = "top_k";

    private static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.bounded(TOP_K, ParameterType.INTEGER, 1, 1.0, null,
                    "a sample counts as correct when its label is among the k highest scores"));

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    @Override
    public boolean requiresAnnotation() {
        return true;
    }

    @Override
    public boolean requiresReference() {
        return false;
    }

    @Override
    public MetricAccumulator create(Parameters parameters) {
        Parameters p = parameters.validate(PARAMETERS);
        long topK = p.integer(TOP_K);
        if (topK > Integer.MAX_VALUE) {
            // an int cast would wrap (2^32 + 1 would become top-1)
            throw new InvalidInputException(p.pathOf(TOP_K), p.raw(TOP_K), "at most the number of classes the model outputs");
        }
        return new AccuracyAccumulator((int) topK, p.pathOf(TOP_K));
    }
}
