package org.pot4j.api.data;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.pot4j.api.tensor.Tensor;

/**
 * One sample: its index in the dataset, a tensor per model input (keyed by the input's name, each of its own
 * element type, preprocessed) and its annotation (null when the dataset is not annotated).
 * <p>
 * A tensor normally lacks the batch dimension (e.g. [1, 28, 28] for a model input [N, 1, 28, 28]); one with the
 * model input's full rank is fed as it is (a model without a batch dimension, or a sample that is a whole batch).
 * A loader that cannot know the model's input names (one array, one image) uses the key {@link #DEFAULT_INPUT},
 * which feeds the model's only input that the job does not give as a constant.
 */
public record Sample(int index, Map<String, Tensor> inputs, Annotation annotation) {

    /** The key of a loader's single unnamed input: the model's one data input, whatever its name. */
    public static final String DEFAULT_INPUT = "";

    public Sample {
        Objects.requireNonNull(inputs, "inputs");
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("sample " + index + " has no input tensor");
        }
        Map<String, Tensor> copy = new LinkedHashMap<>();
        inputs.forEach((name, tensor) -> copy.put(Objects.requireNonNull(name, "input name"),
                Objects.requireNonNull(tensor, () -> "tensor of input '" + name + "'")));
        inputs = Collections.unmodifiableMap(copy);
    }

    /** The single-input, class-label case: {@code input} under {@link #DEFAULT_INPUT}, {@code label} or null. */
    public Sample(int index, Tensor input, Integer label) {
        this(index, Map.of(DEFAULT_INPUT, input), label == null ? null : new Annotation.ClassLabel(label));
    }

    /** The input tensor of a single-input sample; throws when the sample has several. */
    public Tensor input() {
        if (inputs.size() != 1) {
            throw new IllegalStateException("sample " + index + " has " + inputs.size() + " inputs " + inputs.keySet()
                    + "; read them with inputs()");
        }
        return inputs.values().iterator().next();
    }

    /** The class label when the annotation is one, else null. */
    public Integer label() {
        return annotation instanceof Annotation.ClassLabel c ? c.label() : null;
    }
}
