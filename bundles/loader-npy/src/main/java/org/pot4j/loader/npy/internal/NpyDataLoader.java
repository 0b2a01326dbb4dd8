package org.pot4j.loader.npy.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.pot4j.api.tensor.DataType;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.data.DataLoader;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;
import org.pot4j.loader.support.Checksums;
import org.pot4j.loader.support.DataFiles;
import org.pot4j.loader.support.Layout;
import org.pot4j.loader.support.Preprocessing;

/**
 * Samples from NumPy arrays saved with numpy.save (.npy) or numpy.savez (.npz): one array per model input (see
 * {@link NpySources} for the forms of {@code data}), axis 0 indexes samples, the remaining axes are the sample's
 * shape, as stored (never transposed). Each input keeps its dtype (float64 is read as float32); {@code preprocessing}
 * applies to the float inputs, and to a single integer array (images saved as uint8), which it turns into floats.
 * Optional annotations: {@code labels}, a .npy of integer class indices, or {@code annotations}, a .npy (one tensor
 * per sample) or an .npz (named tensors per sample, a structured annotation), with one entry per sample.
 */
@Component(service = DataLoader.class, property = DataLoader.PROPERTY + "=npy")
public final class NpyDataLoader implements DataLoader {
    static final String DATA = "data";
    static final String ARRAY = "array";
    static final String LABELS = "labels";
    static final String ANNOTATIONS = "annotations";
    static final String LAYOUT = "layout";
    static final String SAMPLE_AXIS = "sample_axis";

    private static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.required(DATA, ParameterType.ANY, ".npy or .npz file, a folder of per-sample files"
                    + " <sample>.<input>.npy or <sample>.npz, or an object of model input name to .npy file; axis 0"
                    + " indexes samples"),
            ParameterDescriptor.optional(SAMPLE_AXIS, ParameterType.ANY, null, "the axis that indexes samples, for"
                    + " every input (an integer) or per input name ({\"h0\": 1}); default 0. On another axis a sample"
                    + " keeps it with size 1 and is fed whole (e.g. a recurrent state [layers, N, hidden])"),
            ParameterDescriptor.optional(ARRAY, ParameterType.STRING, null,
                    "key of the one array to read from an .npz (without it, every array feeds the input of its name)"),
            ParameterDescriptor.optional(LABELS, ParameterType.PATH, null, ".npy of integer labels, shape [N] or [N, 1]"),
            ParameterDescriptor.optional(ANNOTATIONS, ParameterType.PATH, null, ".npy of one tensor per sample, or .npz of"
                    + " named tensors per sample (axis 0 indexes samples): annotations for metrics other than accuracy"),
            Preprocessing.DESCRIPTOR,
            ParameterDescriptor.choice(LAYOUT, "NCHW", Layout.NAMES,
                    "where the stored samples keep channels (first or last sample axis); used by per-channel normalization"));

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    @Override
    public Dataset open(Parameters parameters) {
        Parameters p = parameters.validate(PARAMETERS);
        Preprocessing preprocessing = Preprocessing.parse(p, Preprocessing.VALUE_TYPES);
        Layout layout = Layout.valueOf(p.string(LAYOUT));
        MessageDigest digest = Checksums.sha256();
        Map<String, NpyArray> arrays = NpySources.read(p, DATA, ARRAY, digest);
        try {
            return open(p, preprocessing, layout, digest, arrays);
        } catch (RuntimeException e) {
            NpySources.close(arrays.values());
            throw e;
        }
    }

    private NpyDataset open(Parameters p, Preprocessing preprocessing, Layout layout, MessageDigest digest,
                            Map<String, NpyArray> arrays) {
        Map<String, Integer> axes = sampleAxes(p, arrays);
        String firstName = arrays.keySet().iterator().next();
        NpyArray first = arrays.get(firstName);
        int size = (int) first.shape()[axes.get(firstName)];
        for (Map.Entry<String, NpyArray> entry : arrays.entrySet()) {
            long count = entry.getValue().shape()[axes.get(entry.getKey())];
            if (count != size) {
                throw new InvalidInputException(p.pathOf(DATA), entry.getValue().source() + " has " + count
                        + " samples on axis " + axes.get(entry.getKey()), "as many samples for every input: "
                        + NpySources.describe(firstName) + " (" + first.source() + ") has " + size);
            }
        }
        if (size == 0) {
            // else the job failed later blaming stat_subset_size ("at most the calibration dataset's size, 0")
            throw new InvalidInputException(p.pathOf(DATA), first.source(), "has no samples (shape "
                    + Arrays.toString(first.shape()) + "): give an array with at least one sample on its first axis");
        }
        boolean single = arrays.size() == 1;
        List<NpyDataset.Column> columns = new ArrayList<>();
        for (Map.Entry<String, NpyArray> entry : arrays.entrySet()) {
            NpyArray data = entry.getValue();
            if (data.count() > Integer.MAX_VALUE - 8) {
                throw new InvalidInputException(p.pathOf(DATA), data.source(), "at most 2^31 elements; found " + data.count());
            }
            int axis = axes.get(entry.getKey());
            long[] sampleShape = Arrays.copyOfRange(data.shape(), 1, data.shape().length);
            boolean preprocessed = !preprocessing.steps().isEmpty() && (data.isFloat() || (single && data.isInteger()));
            if (data.isFloat() || preprocessed) {
                int channels = sampleShape.length == 0 ? 1
                        : (int) (layout.channelsLast() ? sampleShape[sampleShape.length - 1] : sampleShape[0]);
                if (preprocessed) {
                    preprocessing.checkChannels(channels);
                }
                Object values = data.elements(DataType.FLOAT);
                requireFinite(values, data, p.pathOf(DATA));
                columns.add(new NpyDataset.Column(entry.getKey(), DataType.FLOAT, values, data.shape(), axis,
                        preprocessed ? preprocessing : null, Math.max(1, channels)));
            } else {
                columns.add(new NpyDataset.Column(entry.getKey(), data.dataType(), data.elements(data.dataType()), data.shape(),
                        axis, null, 1));
            }
        }

        long[] labels = null;
        if (p.has(LABELS)) {
            if (p.has(ANNOTATIONS)) {
                throw new InvalidInputException(p.pathOf(ANNOTATIONS), p.raw(ANNOTATIONS), "either labels (class"
                        + " indices) or annotations, not both");
            }
            Path labelsPath = DataFiles.requireFile(p, LABELS);
            labels = readLabels(labelsPath, p.pathOf(LABELS), first, digest);
        }
        Map<String, NpyArray> annotations = null;
        if (p.has(ANNOTATIONS)) {
            Path path = DataFiles.requireFile(p, ANNOTATIONS);
            annotations = NpySources.readFile(path, p.pathOf(ANNOTATIONS), null, null, digest);
            for (NpyArray annotation : annotations.values()) {
                if (annotation.shape().length == 0 || annotation.shape()[0] != size) {
                    throw new InvalidInputException(p.pathOf(ANNOTATIONS), annotation.source() + " of shape "
                            + Arrays.toString(annotation.shape()), "one entry per sample on axis 0: " + size
                            + " samples in " + first.source());
                }
            }
            boolean npz = !annotations.containsKey(path.getFileName().toString());
            annotations = npz ? annotations : Map.of("", annotations.values().iterator().next());
        }
        digest.update(("npy;array=" + p.string(ARRAY, "") + ";axes=" + axes + ";inputs=" + arrays.keySet() + ";labels=" + (labels != null)
                + ";annotations=" + (annotations != null) + ";preprocessing=" + preprocessing.canonical() + ";layout="
                + layout).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String identity = "npy:" + HexFormat.of().formatHex(digest.digest());
        NpyDataset dataset = new NpyDataset(columns, size, labels, NpyDataset.annotationColumns(annotations),
                layout.channelsLast(), identity, () -> NpySources.close(arrays.values()));
        dataset.get(0); // fail at open when the preprocessing cannot work on this data
        return dataset;
    }

    /** Each input's sample axis: {@code sample_axis} as one integer, or per input name, else 0. */
    private static Map<String, Integer> sampleAxes(Parameters p, Map<String, NpyArray> arrays) {
        Object given = p.has(SAMPLE_AXIS) ? p.raw(SAMPLE_AXIS) : 0;
        Map<String, Integer> axes = new java.util.LinkedHashMap<>();
        if (given instanceof Map<?, ?> perInput) {
            for (Object key : perInput.keySet()) {
                if (!arrays.containsKey(String.valueOf(key))) {
                    throw new InvalidInputException(p.pathOf(SAMPLE_AXIS) + "." + key, key, "an input of the data: "
                            + arrays.keySet());
                }
            }
        }
        for (Map.Entry<String, NpyArray> entry : arrays.entrySet()) {
            Object value = given instanceof Map<?, ?> perInput ? perInput.get(entry.getKey()) : given;
            String field = given instanceof Map<?, ?> ? p.pathOf(SAMPLE_AXIS) + "." + entry.getKey() : p.pathOf(SAMPLE_AXIS);
            int rank = entry.getValue().shape().length;
            if (value == null) {
                value = 0;
            }
            if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())
                    || number.intValue() < 0 || number.intValue() >= Math.max(1, rank)) {
                throw new InvalidInputException(field, value, "an axis of " + entry.getValue().source() + " (shape "
                        + Arrays.toString(entry.getValue().shape()) + "): 0 to " + (rank - 1));
            }
            axes.put(entry.getKey(), number.intValue());
        }
        return axes;
    }

    private static long[] readLabels(Path path, String field, NpyArray data, MessageDigest digest) {
        byte[] bytes = readAll(path, field);
        digest.update(bytes);
        NpyArray labels = NpyArray.parse(bytes, path.toString(), field);
        if (!labels.isInteger()) {
            throw new InvalidInputException(field, path, "integer labels (|u1, <i4, <i8, ...); found dtype " + labels.descr());
        }
        long[] shape = labels.shape();
        if (!(shape.length == 1 || (shape.length == 2 && shape[1] == 1))) {
            throw new InvalidInputException(field, path, "labels of shape [N] or [N, 1]; found " + Arrays.toString(shape));
        }
        if (shape[0] != data.shape()[0]) {
            throw new InvalidInputException(field, path, "one label per sample: " + shape[0] + " labels, "
                    + data.shape()[0] + " samples in " + data.source());
        }
        long[] result = new long[(int) shape[0]];
        for (int i = 0; i < result.length; i++) {
            result[i] = labels.longAt(i);
            if (result[i] < 0 || result[i] > Integer.MAX_VALUE) {
                throw new InvalidInputException(field, path, "class indices from 0 to " + Integer.MAX_VALUE
                        + "; label " + i + " is " + result[i]);
            }
        }
        return result;
    }

    /** Every element finite: {@code values} a float[], or read from the file a chunk at a time. */
    private static void requireFinite(Object values, NpyArray data, String field) {
        long count = data.count();
        if (values instanceof float[] inMemory) {
            requireFinite(inMemory, 0, inMemory.length, count, data, field);
            return;
        }
        NpyFileElements file = (NpyFileElements) values;
        float[] chunk = new float[1 << 18];
        for (long from = 0; from < count; from += chunk.length) {
            int n = (int) Math.min(chunk.length, count - from);
            file.copy(from, chunk, 0, n);
            requireFinite(chunk, from, n, count, data, field);
        }
    }

    /** {@code values[0 .. n)} are the array's elements from {@code offset} on; {@code count}: all of them. */
    private static void requireFinite(float[] values, long offset, int n, long count, NpyArray data, String field) {
        for (int j = 0; j < n; j++) {
            if (!Float.isFinite(values[j])) {
                long i = offset + j;
                throw new InvalidInputException(field, data.source(), "finite values; element " + multiIndex(i, data.shape())
                        + " (sample " + i / Math.max(1, count / data.shape()[0]) + ") is " + values[j]
                        + (data.descr().equals("<f8") && !Double.isNaN(values[j]) ? " (or beyond float32 range)" : ""));
            }
        }
    }

    private static String multiIndex(long flat, long[] shape) {
        long[] index = new long[shape.length];
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            index[axis] = flat % shape[axis];
            flat /= shape[axis];
        }
        return Arrays.toString(index);
    }

    private static byte[] readAll(Path path, String field) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new InvalidInputException(field, path, "a readable file (" + e + ")", e);
        }
    }
}
