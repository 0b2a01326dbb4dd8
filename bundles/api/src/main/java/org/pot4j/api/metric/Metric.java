package org.pot4j.api.metric;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.Parameters;

/** A metric family. Registered with {@value #PROPERTY} = its name ("accuracy", "similarity", ...). */
@ConsumerType
public interface Metric {
    String PROPERTY = "pot4j.metric";

    List<ParameterDescriptor> parameters();

    /** Needs labels (annotated dataset). */
    boolean requiresAnnotation();

    /** Needs the FP32 model's output for each sample. */
    boolean requiresReference();

    /** A fresh accumulator; parameters are the metric's block of the job (name removed). */
    MetricAccumulator create(Parameters parameters);
}
