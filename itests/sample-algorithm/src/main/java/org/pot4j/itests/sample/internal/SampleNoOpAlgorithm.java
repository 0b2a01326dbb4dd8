package org.pot4j.itests.sample.internal;

import java.util.List;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.statistics.Statistics;

/** Does nothing: it exists to be deployed and removed while the framework runs. */
@Component(service = QuantizationAlgorithm.class, property = QuantizationAlgorithm.PROPERTY + "=SampleNoOp")
public final class SampleNoOpAlgorithm implements QuantizationAlgorithm {

    @Override
    public List<ParameterDescriptor> parameters() {
        return List.of();
    }

    @Override
    public void apply(AlgorithmContext context, Statistics statistics) {
        // leaves model and plan as they are
    }
}
