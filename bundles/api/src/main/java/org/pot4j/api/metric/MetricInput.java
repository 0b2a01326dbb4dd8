package org.pot4j.api.metric;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.pot4j.api.data.Annotation;
import org.pot4j.api.tensor.Tensor;

/**
 * What a metric sees of one sample: every model output for it, by name in the model's order (batch dimension 1),
 * the sample's annotation (null when the dataset is not annotated), and the FP32 model's outputs for the same
 * sample when the metric {@link Metric#requiresReference() needs them} (else null).
 */
public record MetricInput(int sampleIndex, Map<String, Tensor> outputs, Annotation annotation,
                          Map<String, Tensor> referenceOutputs) {

    public MetricInput {
        Objects.requireNonNull(outputs, "outputs");
        if (outputs.isEmpty()) {
            throw new IllegalArgumentException("sample " + sampleIndex + " has no output");
        }
        outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        referenceOutputs = referenceOutputs == null ? null
                : Collections.unmodifiableMap(new LinkedHashMap<>(referenceOutputs));
    }

    /** A single-output sample with a class label (or null); the output is named "output". */
    public MetricInput(int sampleIndex, Tensor output, Integer label, Tensor referenceOutput) {
        this(sampleIndex, Map.of("output", output), label == null ? null : new Annotation.ClassLabel(label),
                referenceOutput == null ? null : Map.of("output", referenceOutput));
    }

    /** The model's first output. */
    public Tensor output() {
        return outputs.values().iterator().next();
    }

    /** The FP32 model's first output, or null. */
    public Tensor referenceOutput() {
        return referenceOutputs == null ? null : referenceOutputs.values().iterator().next();
    }

    /** The class label when the annotation is one, else null. */
    public Integer label() {
        return annotation instanceof Annotation.ClassLabel c ? c.label() : null;
    }
}
