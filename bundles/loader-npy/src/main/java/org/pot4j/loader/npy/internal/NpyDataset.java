package org.pot4j.loader.npy.internal;

import java.lang.reflect.Array;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pot4j.api.data.Annotation;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.loader.support.Preprocessing;

/**
 * One column per input (and per annotation array), in memory or, for a plain .npy, read from its file a sample at a
 * time ({@link NpyFileElements}); get() copies one sample of each column and preprocesses the float copies
 * (thread-safe).
 */
final class NpyDataset implements Dataset {

    /**
     * One input: its name, element type, every sample's elements (a Java array of that type) and the stored shape;
     * samples are taken along {@code axis}. Without the axis (0, the default) a sample lacks it; with another axis
     * (a recurrent state [layers, N, hidden]) it keeps it with size 1, the model input's whole shape, fed as it is.
     */
    record Column(String name, DataType type, Object values, long[] shape, int axis, Preprocessing preprocessing,
                  int channels) {
        long[] sampleShape() {
            if (axis == 0) {
                return java.util.Arrays.copyOfRange(shape, 1, shape.length);
            }
            long[] kept = shape.clone();
            kept[axis] = 1;
            return kept;
        }

        Tensor sample(int index, boolean channelsLast) {
            long[] sampleShape = sampleShape();
            int length = (int) Tensor.elementCount(sampleShape);
            Object copy = values instanceof NpyFileElements file ? newArray(file.type(), length)
                    : Array.newInstance(values.getClass().getComponentType(), length);
            // axis 0: one block; another axis: one block of the axes after it per index of the axes before it
            int inner = (int) Tensor.elementCount(java.util.Arrays.copyOfRange(shape, axis + 1, shape.length));
            int outer = length / Math.max(1, inner);
            int samples = (int) shape[axis];
            for (int o = 0; o < outer; o++) {
                if (values instanceof NpyFileElements file) {
                    file.copy((long) (o * samples + index) * inner, copy, o * inner, inner);
                } else {
                    System.arraycopy(values, (o * samples + index) * inner, copy, o * inner, inner);
                }
            }
            if (preprocessing != null) {
                preprocessing.applyValues((float[]) copy, channels, channelsLast);
            }
            return new Tensor(type, sampleShape, copy);
        }
    }

    /** A new Java array of {@code type}'s element class, as {@code Tensor} holds it. */
    private static Object newArray(DataType type, int length) {
        return switch (type) {
            case FLOAT -> new float[length];
            case UINT8, INT8, BOOL -> new byte[length];
            case INT16 -> new short[length];
            case INT32 -> new int[length];
            case INT64 -> new long[length];
            default -> throw new IllegalStateException("unsupported element type " + type);
        };
    }

    private final List<Column> columns;
    private final Runnable closer;
    private final int size;
    private final long[] labels;
    private final List<Column> annotations;
    private final boolean channelsLast;
    private final String identity;

    /** {@code closer}: closes the files of the columns read from disk. */
    NpyDataset(List<Column> columns, int size, long[] labels, List<Column> annotations, boolean channelsLast,
               String identity, Runnable closer) {
        this.closer = closer;
        this.columns = List.copyOf(columns);
        this.size = size;
        this.labels = labels;
        this.annotations = annotations;
        this.channelsLast = channelsLast;
        this.identity = identity;
    }

    /** The annotation arrays as columns: "" is one tensor per sample, named ones make a structured annotation. */
    static List<Column> annotationColumns(Map<String, NpyArray> arrays) {
        if (arrays == null) {
            return null;
        }
        return arrays.entrySet().stream().map(e -> new Column(e.getKey(), e.getValue().dataType(),
                e.getValue().typedElements(), e.getValue().shape(), 0, null, 1)).toList();
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Sample get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("sample " + index + " of an npy dataset of size " + size);
        }
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (Column column : columns) {
            inputs.put(column.name(), column.sample(index, channelsLast));
        }
        return new Sample(index, inputs, annotation(index));
    }

    private Annotation annotation(int index) {
        if (labels != null) {
            return new Annotation.ClassLabel((int) labels[index]);
        }
        if (annotations == null) {
            return null;
        }
        if (annotations.size() == 1 && annotations.get(0).name().isEmpty()) {
            return new Annotation.TensorValue(annotations.get(0).sample(index, false));
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        annotations.forEach(column -> fields.put(column.name(), column.sample(index, false)));
        return new Annotation.Structured(fields);
    }

    @Override
    public boolean annotated() {
        return labels != null || annotations != null;
    }

    @Override
    public void close() {
        closer.run();
    }

    /** SHA-256 of the files' bytes, the array keys, the preprocessing and the layout (computed at open). */
    @Override
    public String identity() {
        return identity;
    }
}
