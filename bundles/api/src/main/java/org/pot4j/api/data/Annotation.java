package org.pot4j.api.data;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.pot4j.api.tensor.Tensor;

/**
 * What a sample is annotated with, for the metrics: a class index ({@link ClassLabel}, what the accuracy metric
 * reads), a tensor ({@link TensorValue}: a regression target, a mask, expected logits), or named fields
 * ({@link Structured}: boxes, several targets; values are tensors, numbers, strings or lists of them). A metric
 * checks the kind it understands and names the sample when it gets another.
 */
public sealed interface Annotation {

    /** A class index. */
    record ClassLabel(int label) implements Annotation {
    }

    /** One tensor, without a batch dimension unless the loader says otherwise. */
    record TensorValue(Tensor value) implements Annotation {
        public TensorValue {
            Objects.requireNonNull(value, "value");
        }
    }

    /** Named fields in the order the loader read them. */
    record Structured(Map<String, Object> fields) implements Annotation {
        public Structured {
            fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        }

        /** The field as a tensor, or null when it is absent or not one. */
        public Tensor tensor(String name) {
            return fields.get(name) instanceof Tensor tensor ? tensor : null;
        }
    }

    static Annotation label(int label) {
        return new ClassLabel(label);
    }

    static Annotation tensor(Tensor value) {
        return new TensorValue(value);
    }

    /** A short description for errors ("class label", "tensor FLOAT [4]", "fields [boxes, labels]"). */
    default String describe() {
        if (this instanceof ClassLabel) {
            return "class label";
        }
        if (this instanceof TensorValue t) {
            return "tensor " + t.value().type() + " " + java.util.Arrays.toString(t.value().shape());
        }
        return "fields " + ((Structured) this).fields().keySet();
    }
}
