package org.pot4j.loader.npy.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.data.Sample;
import org.pot4j.api.params.Parameters;

/**
 * Reads a dataset block's {@code data} into named arrays whose axis 0 indexes samples. {@code data} is one of:
 * an .npy file (one unnamed input); an .npz file (its {@code array} as one unnamed input, else one input per array,
 * named by its key); an object of input name to .npy file; a folder of per-sample files,
 * {@code <sample>.<input>.npy} or {@code <sample>.npz} (one array per input), samples in sorted name order. Every
 * array is hashed into {@code digest}. Named errors: a sample count that differs between inputs, a sample missing
 * an input, samples of one input with different shapes or dtypes.
 */
final class NpySources {

    private NpySources() {
    }

    static Map<String, NpyArray> read(Parameters p, String dataKey, String arrayKey, MessageDigest digest) {
        String field = p.pathOf(dataKey);
        Object data = p.raw(dataKey);
        Map<String, NpyArray> arrays;
        if (data instanceof Map<?, ?> files) {
            if (p.has(arrayKey)) {
                throw new InvalidInputException(p.pathOf(arrayKey), p.raw(arrayKey), "only with a single .npz in "
                        + field + "; here each input has its own file");
            }
            if (files.isEmpty()) {
                throw new InvalidInputException(field, "{}", "an object of model input name to .npy file");
            }
            arrays = new LinkedHashMap<>();
            for (Map.Entry<?, ?> entry : files.entrySet()) {
                String name = String.valueOf(entry.getKey());
                if (!(entry.getValue() instanceof String file) || file.isBlank()) {
                    throw new InvalidInputException(field + "." + name, entry.getValue(), "the path of an .npy file");
                }
                Path path = p.baseDirectory() == null ? Path.of(file) : p.baseDirectory().resolve(file);
                Map<String, NpyArray> inFile = readFile(path, field + "." + name, null, null, digest, true);
                if (inFile.size() != 1) {
                    throw new InvalidInputException(field + "." + name, path, "one array (an .npy, or an .npz holding"
                            + " one); found " + inFile.keySet());
                }
                arrays.put(name, inFile.values().iterator().next());
            }
        } else if (data instanceof String) {
            Path path = p.path(dataKey);
            if (Files.isDirectory(path)) {
                if (p.has(arrayKey)) {
                    throw new InvalidInputException(p.pathOf(arrayKey), p.raw(arrayKey), "only for an .npz file; "
                            + path + " is a folder of per-sample files");
                }
                return folder(path, field, digest);
            }
            if (!Files.isRegularFile(path)) {
                throw new InvalidInputException(field, path, Files.exists(path) ? "a regular file or a folder"
                        : "an existing .npy or .npz file or folder (not found)");
            }
            arrays = readFile(path, field, p.has(arrayKey) ? p.string(arrayKey) : null, p.pathOf(arrayKey), digest, true);
            // an .npy, or the array chosen by key, is "the data": it feeds the model's one data input, whatever its
            // name; the arrays of an .npz keep their keys (the job then matches them to the model's inputs)
            if (arrays.size() == 1 && (p.has(arrayKey) || arrays.containsKey(path.getFileName().toString()))) {
                arrays = Map.of(Sample.DEFAULT_INPUT, arrays.values().iterator().next());
            }
        } else {
            throw new InvalidInputException(field, data, "the path of an .npy or .npz file or of a folder of per-sample"
                    + " files, or an object of model input name to .npy file");
        }
        checkSampleCounts(arrays, field);
        return arrays;
    }

    /** Every array of an .npy (one, keyed by the file name) or an .npz (by key; only {@code array} when given). */
    static Map<String, NpyArray> readFile(Path path, String field, String array, String arrayField,
                                          MessageDigest digest) {
        return readFile(path, field, array, arrayField, digest, false);
    }

    /**
     * As {@link #readFile(Path, String, String, String, MessageDigest)}; {@code onDisk}: a plain .npy keeps its
     * elements in the file (hashed as it is read once here, then read a sample at a time: {@link NpyFileElements}),
     * its channel open until the array is {@linkplain #close closed}.
     */
    static Map<String, NpyArray> readFile(Path path, String field, String array, String arrayField,
                                          MessageDigest digest, boolean onDisk) {
        if (onDisk && array == null && !isZip(path, field)) {
            FileChannel channel = null;
            try {
                channel = FileChannel.open(path, StandardOpenOption.READ);
                hash(channel, digest);
                Map<String, NpyArray> arrays = new LinkedHashMap<>();
                arrays.put(path.getFileName().toString(), NpyArray.onDisk(channel, path.toString(), field));
                return arrays;
            } catch (IOException e) {
                closeQuietly(channel);
                throw new InvalidInputException(field, path, "a readable file (" + e + ")", e);
            } catch (RuntimeException e) {
                closeQuietly(channel);
                throw e;
            }
        }
        byte[] bytes = readAll(path, field);
        digest.update(bytes);
        boolean zip = bytes.length >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
        Map<String, NpyArray> arrays = new LinkedHashMap<>();
        if (!zip) {
            if (array != null) {
                throw new InvalidInputException(arrayField, array, "only for .npz files; " + path + " is a plain .npy");
            }
            arrays.put(path.getFileName().toString(), NpyArray.parse(bytes, path.toString(), field));
            return arrays;
        }
        try (ZipFile npz = new ZipFile(path.toFile())) {
            List<String> keys = new ArrayList<>();
            npz.stream().map(ZipEntry::getName).filter(n -> n.endsWith(".npy"))
                    .forEach(n -> keys.add(n.substring(0, n.length() - 4)));
            if (keys.isEmpty()) {
                throw new InvalidInputException(field, path, "an .npz holding at least one .npy array; it holds none");
            }
            if (array != null && !keys.contains(array)) {
                throw new InvalidInputException(arrayField, array, "an array of " + path + ": " + String.join(", ", keys)
                        + Parameters.nearest(array, keys).map(s -> " (did you mean '" + s + "'?)").orElse(""));
            }
            for (String key : array != null ? List.of(array) : keys) {
                try (InputStream in = npz.getInputStream(npz.getEntry(key + ".npy"))) {
                    arrays.put(key, NpyArray.parse(in.readAllBytes(), path + "[" + key + "]", field));
                }
            }
            return arrays;
        } catch (IOException e) {
            throw new InvalidInputException(field, path, "a readable .npz (zip) file (" + e.getMessage() + ")", e);
        }
    }

    private static boolean isZip(Path path, String field) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] start = in.readNBytes(4);
            return start.length == 4 && start[0] == 'P' && start[1] == 'K' && start[2] == 3 && start[3] == 4;
        } catch (IOException e) {
            throw new InvalidInputException(field, path, "a readable file (" + e + ")", e);
        }
    }

    /** The whole file into {@code digest} (the same bytes as reading it whole), a megabyte at a time. */
    private static void hash(FileChannel channel, MessageDigest digest) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        long position = 0;
        int read;
        while ((read = channel.read(buffer, position)) > 0) {
            buffer.flip();
            digest.update(buffer);
            buffer.clear();
            position += read;
        }
    }

    /** Closes the files of the arrays kept on disk (the dataset's close, or a failed open). */
    static void close(Iterable<NpyArray> arrays) {
        for (NpyArray array : arrays) {
            closeQuietly(array.file());
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // read-only: nothing was written that closing could lose
            }
        }
    }

    /** Every input has a sample axis (the counts are compared by the loader, which knows each input's axis). */
    private static void checkSampleCounts(Map<String, NpyArray> arrays, String field) {
        for (NpyArray array : arrays.values()) {
            if (array.shape().length == 0) {
                throw new InvalidInputException(field, array.source(), "an array with a sample axis (rank >= 1); found"
                        + " a scalar");
            }
        }
    }

    /** The per-sample files of a folder, stacked into one array per input. */
    private static Map<String, NpyArray> folder(Path folder, String field, MessageDigest digest) {
        Map<String, Map<String, NpyArray>> samples = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> listing = Files.list(folder)) {
            files = listing.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new InvalidInputException(field, folder, "a readable folder (" + e.getMessage() + ")", e);
        }
        for (Path file : files) {
            String name = file.getFileName().toString();
            if (name.endsWith(".npz")) {
                String sample = name.substring(0, name.length() - 4);
                Map<String, NpyArray> arrays = readFile(file, field, null, null, digest);
                for (Map.Entry<String, NpyArray> entry : arrays.entrySet()) {
                    put(samples, sample, entry.getKey(), entry.getValue(), field);
                }
            } else if (name.endsWith(".npy")) {
                String stem = name.substring(0, name.length() - 4);
                int dot = stem.lastIndexOf('.');
                if (dot <= 0 || dot == stem.length() - 1) {
                    throw new InvalidInputException(field, file, "per-sample files named <sample>.<input>.npy (or"
                            + " <sample>.npz with one array per input)");
                }
                Map<String, NpyArray> one = readFile(file, field, null, null, digest);
                put(samples, stem.substring(0, dot), stem.substring(dot + 1), one.values().iterator().next(), field);
            }
        }
        if (samples.isEmpty()) {
            throw new InvalidInputException(field, folder, "a folder of per-sample files <sample>.<input>.npy or"
                    + " <sample>.npz; it has none");
        }
        List<String> inputs = new ArrayList<>(samples.values().iterator().next().keySet());
        Map<String, List<NpyArray>> columns = new LinkedHashMap<>();
        inputs.forEach(input -> columns.put(input, new ArrayList<>()));
        for (Map.Entry<String, Map<String, NpyArray>> sample : samples.entrySet()) {
            if (!sample.getValue().keySet().equals(columns.keySet())) {
                throw new InvalidInputException(field, "sample '" + sample.getKey() + "' has inputs "
                        + sample.getValue().keySet(), "every sample gives the same inputs as the first ("
                        + samples.keySet().iterator().next() + "): " + columns.keySet());
            }
            sample.getValue().forEach((input, array) -> columns.get(input).add(array));
        }
        Map<String, NpyArray> stacked = new LinkedHashMap<>();
        columns.forEach((input, arrays) -> stacked.put(input, NpyArray.stack(arrays, folder + "/*." + input, field)));
        return stacked;
    }

    private static void put(Map<String, Map<String, NpyArray>> samples, String sample, String input, NpyArray array,
                            String field) {
        NpyArray previous = samples.computeIfAbsent(sample, s -> new LinkedHashMap<>()).put(input, array);
        if (previous != null) {
            throw new InvalidInputException(field, array.source(), "one array per sample and input; sample '" + sample
                    + "' gives '" + input + "' twice (also in " + previous.source() + ")");
        }
    }

    static String describe(String input) {
        return input.equals(Sample.DEFAULT_INPUT) ? "the data" : "input '" + input + "'";
    }

    private static byte[] readAll(Path path, String field) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new InvalidInputException(field, path, "a readable file (" + e + ")", e);
        }
    }

    static String shape(NpyArray array) {
        return Arrays.toString(array.shape());
    }
}
