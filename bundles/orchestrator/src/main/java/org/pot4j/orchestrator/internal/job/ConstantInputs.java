package org.pot4j.orchestrator.internal.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/**
 * The job's {@code engine.constant_inputs} as tensors of the model inputs' declared types: a JSON number, boolean or
 * nested list of them per input name ({@code {"sr": 16000, "h": 0}}). A scalar given for an input of higher rank
 * fills its declared shape (a dynamic dimension taken as 1), e.g. a zero initial state; a list must have the
 * input's rank and its fixed sizes.
 */
final class ConstantInputs {

    /** The most elements a constant may have: constants are small (a sample rate, an initial state). */
    static final int MAX_ELEMENTS = 1 << 20;

    private ConstantInputs() {
    }

    static Map<String, Tensor> of(Map<String, Object> given, Graph model) {
        Map<String, ValueInfo> inputs = new LinkedHashMap<>();
        model.inputs().forEach(input -> inputs.put(input.name(), input));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : given.entrySet()) {
            String field = "engine.constant_inputs." + entry.getKey();
            ValueInfo input = inputs.get(entry.getKey());
            if (input == null) {
                throw new InvalidInputException(field, entry.getKey(), "a model input: " + inputs.keySet());
            }
            tensors.put(entry.getKey(), tensor(field, entry.getValue(), input));
        }
        return tensors;
    }

    private static Tensor tensor(String field, Object value, ValueInfo input) {
        List<Double> values = new ArrayList<>();
        List<Long> shape = new ArrayList<>();
        flatten(field, value, 0, shape, values);
        long[] dims;
        if (shape.isEmpty() && input.dims() != null && !input.dims().isEmpty()) {
            // a scalar fills the declared shape (np.full)
            dims = input.dims().stream().mapToLong(d -> d.value() != null && d.value() > 0 ? d.value() : 1).toArray();
            long count = Tensor.elementCount(dims);
            if (count > MAX_ELEMENTS) {
                throw new InvalidInputException(field, value, "at most " + MAX_ELEMENTS + " elements; the input's shape "
                        + input.dims() + " has " + count);
            }
            double fill = values.get(0);
            values.clear();
            for (long i = 0; i < count; i++) {
                values.add(fill);
            }
        } else {
            dims = shape.stream().mapToLong(Long::longValue).toArray();
            if (input.dims() != null) {
                boolean matches = dims.length == input.dims().size();
                for (int axis = 0; matches && axis < dims.length; axis++) {
                    Long fixed = input.dims().get(axis).value();
                    matches = fixed == null || fixed < 0 || fixed == dims[axis];
                }
                if (!matches) {
                    throw new InvalidInputException(field, "shape " + shape, "a scalar (fills the input) or an array of"
                            + " the input's declared shape " + input.dims());
                }
            }
        }
        if (values.size() > MAX_ELEMENTS) {
            throw new InvalidInputException(field, values.size() + " elements", "at most " + MAX_ELEMENTS);
        }
        return new Tensor(input.type(), dims, array(field, input.type(), values));
    }

    private static void flatten(String field, Object value, int depth, List<Long> shape, List<Double> out) {
        if (value instanceof List<?> list) {
            if (depth == shape.size()) {
                shape.add((long) list.size());
            } else if (shape.get(depth) != list.size()) {
                throw new InvalidInputException(field, "a ragged list", "a rectangular nested list (every row as long"
                        + " as the first)");
            }
            for (Object item : list) {
                flatten(field, item, depth + 1, shape, out);
            }
            return;
        }
        if (depth != shape.size()) {
            throw new InvalidInputException(field, value, "a rectangular nested list of numbers");
        }
        if (value instanceof Number number) {
            out.add(number.doubleValue());
        } else if (value instanceof Boolean bool) {
            out.add(bool ? 1.0 : 0.0);
        } else if (value instanceof String text && (text.startsWith("previous") || text.contains("output"))) {
            throw new InvalidInputException(field, value, "a number or a nested list of numbers: recurrent state fed back"
                    + " from one sample's outputs to the next sample's inputs is not supported; give the initial state"
                    + " as a constant (e.g. 0) or the state of each sample as data");
        } else {
            throw new InvalidInputException(field, value, "a number, a boolean or a nested list of them");
        }
    }

    private static Object array(String field, DataType type, List<Double> values) {
        int n = values.size();
        switch (type) {
            case FLOAT: { float[] a = new float[n]; for (int i = 0; i < n; i++) a[i] = values.get(i).floatValue(); return a; }
            case DOUBLE: { double[] a = new double[n]; for (int i = 0; i < n; i++) a[i] = values.get(i); return a; }
            case INT64: { long[] a = new long[n]; for (int i = 0; i < n; i++) a[i] = integral(field, values.get(i)); return a; }
            case INT32: { int[] a = new int[n]; for (int i = 0; i < n; i++) a[i] = (int) integral(field, values.get(i)); return a; }
            case INT8: case UINT8: case BOOL: {
                byte[] a = new byte[n];
                for (int i = 0; i < n; i++) a[i] = (byte) integral(field, values.get(i));
                return a;
            }
            default:
                throw new InvalidInputException(field, type, "constant inputs of type FLOAT, DOUBLE, INT64, INT32, INT8,"
                        + " UINT8 or BOOL");
        }
    }

    private static long integral(String field, double value) {
        if (value != Math.rint(value)) {
            throw new InvalidInputException(field, value, "whole numbers: the model input is an integer type");
        }
        return (long) value;
    }
}
