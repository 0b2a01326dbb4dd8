package org.pot4j.api.metric;

import org.pot4j.api.tensor.Tensor;

/**
 * What a metric sees of one sample: the model's first output for it (batch dimension 1),
 * the label when annotated, and the FP32 model's output for the same sample when the metric
 * {@link Metric#requiresReference() needs it}.
 */
public record MetricInput(int sampleIndex, Tensor output, Integer label, Tensor referenceOutput) {
}
