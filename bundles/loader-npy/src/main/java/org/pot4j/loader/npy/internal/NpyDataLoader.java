package org.pot4j.loader.npy.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
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
 * Samples from a NumPy array saved with numpy.save (.npy) or numpy.savez (.npz, one array chosen
 * by key): axis 0 indexes samples, the remaining axes are the sample's shape, as stored (never
 * transposed). Optional labels: a .npy of integers with one entry per sample.
 */
@Component(service = DataLoader.class, property = DataLoader.PROPERTY + "=npy")
public final class NpyDataLoader implements DataLoader {
    static final String DATA = "data";
    static final String ARRAY = "array";
    static final String LABELS = "labels";
    static final String LAYOUT = "layout";

    private static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.required(DATA, ParameterType.PATH, ".npy or .npz file; axis 0 indexes samples"),
            ParameterDescriptor.optional(ARRAY, ParameterType.STRING, null,
                    "key of the array inside an .npz (optional when it holds a single array)"),
            ParameterDescriptor.optional(LABELS, ParameterType.PATH, null, ".npy of integer labels, shape [N] or [N, 1]"),
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
        Path dataPath = DataFiles.requireFile(p, DATA);
        MessageDigest digest = Checksums.sha256();
        NpyArray data = readData(p, dataPath, digest);
        if (data.shape().length == 0) {
            throw new InvalidInputException(p.pathOf(DATA), data.source(), "an array with a sample axis (rank >= 1); found a scalar");
        }
        if (data.shape()[0] == 0) {
            // else the job failed later blaming stat_subset_size ("at most the calibration dataset's size, 0")
            throw new InvalidInputException(p.pathOf(DATA), data.source(), "has no samples (shape "
                    + Arrays.toString(data.shape()) + "): give an array with at least one sample on its first axis");
        }
        if (data.count() > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException(p.pathOf(DATA), data.source(), "at most 2^31 elements; found " + data.count());
        }
        long[] sampleShape = Arrays.copyOfRange(data.shape(), 1, data.shape().length);
        int channels = sampleShape.length == 0 ? 1 : (int) (layout.channelsLast() ? sampleShape[sampleShape.length - 1] : sampleShape[0]);
        preprocessing.checkChannels(channels);
        float[] values = data.toFloats();
        requireFinite(values, data, p.pathOf(DATA));

        long[] labels = null;
        if (p.has(LABELS)) {
            Path labelsPath = DataFiles.requireFile(p, LABELS);
            labels = readLabels(labelsPath, p.pathOf(LABELS), data, digest);
        }
        digest.update(("npy;array=" + p.string(ARRAY, "") + ";labels=" + (labels != null) + ";preprocessing="
                + preprocessing.canonical() + ";layout=" + layout).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String identity = "npy:" + HexFormat.of().formatHex(digest.digest());
        NpyDataset dataset = new NpyDataset(values, sampleShape, (int) data.shape()[0], labels, preprocessing, channels,
                layout.channelsLast(), identity);
        if (dataset.size() > 0) {
            dataset.get(0); // fail at open when the preprocessing cannot work on this data
        }
        return dataset;
    }

    private static NpyArray readData(Parameters p, Path path, MessageDigest digest) {
        String field = p.pathOf(DATA);
        byte[] bytes = readAll(path, field);
        digest.update(bytes);
        boolean zip = bytes.length >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
        if (!zip) {
            if (p.has(ARRAY)) {
                throw new InvalidInputException(p.pathOf(ARRAY), p.string(ARRAY), "only for .npz files; " + path + " is a plain .npy");
            }
            return NpyArray.parse(bytes, path.toString(), field);
        }
        try (ZipFile npz = new ZipFile(path.toFile())) {
            List<String> keys = new ArrayList<>();
            npz.stream().map(ZipEntry::getName).filter(n -> n.endsWith(".npy"))
                    .forEach(n -> keys.add(n.substring(0, n.length() - 4)));
            String key;
            if (p.has(ARRAY)) {
                key = p.string(ARRAY);
                if (!keys.contains(key)) {
                    throw new InvalidInputException(p.pathOf(ARRAY), key, "an array of " + path + ": " + String.join(", ", keys)
                            + Parameters.nearest(key, keys).map(s -> " (did you mean '" + s + "'?)").orElse(""));
                }
            } else if (keys.size() == 1) {
                key = keys.get(0);
            } else {
                throw new InvalidInputException(p.pathOf(ARRAY), null, "the key of one array of " + path + ": "
                        + (keys.isEmpty() ? "(it holds no .npy entries)" : String.join(", ", keys)));
            }
            ZipEntry entry = npz.getEntry(key + ".npy");
            try (InputStream in = npz.getInputStream(entry)) {
                return NpyArray.parse(in.readAllBytes(), path + "[" + key + "]", field);
            }
        } catch (IOException e) {
            throw new InvalidInputException(field, path, "a readable .npz (zip) file (" + e.getMessage() + ")", e);
        }
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

    private static void requireFinite(float[] values, NpyArray data, String field) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new InvalidInputException(field, data.source(), "finite values; element " + multiIndex(i, data.shape())
                        + " (sample " + i / Math.max(1, values.length / data.shape()[0]) + ") is " + values[i]
                        + (data.descr().equals("<f8") && !Double.isNaN(values[i]) ? " (or beyond float32 range)" : ""));
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
