package org.pot4j.testsupport;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import java.util.zip.GZIPInputStream;

/**
 * The models and Fashion-MNIST files the tests use, all inside the repository (see testdata/README.md), found from
 * the repository root: the first folder at or above {@code user.dir} that holds {@code testdata/models/models.json},
 * so that tests run from a module folder and programs run from the root alike.
 * <ul>
 *   <li>models: {@code cnn_relu} (examples/fashion-mnist/models), {@code mobilenet_v2_tiny} (testdata/models) and
 *       {@code cnn_relu_outlier} and
 *       {@code mobilenet_v2_tiny_outlier}, built from cnn_relu and mobilenet_v2_tiny by {@link OutlierModel};</li>
 *   <li>data: the example's calib-300 and test-1000 (the first 1000 images of the Fashion-MNIST test set);</li>
 *   <li>the full 10k test set only for benchmarks, from {@code -Dpot4j.data=DIR} ({@link #fullData}).</li>
 * </ul>
 * Images come normalized as the models expect: {@code x = (p / 255 - 0.286) / 0.353}.
 */
public final class TestFiles {
    /** The models' input normalization (testdata/models/models.json). */
    public static final float MEAN = 0.286f;
    public static final float STD = 0.353f;
    /** Images in the repository's test slice (test-1000-*). */
    public static final int TEST_SLICE = 1000;
    /** Every model name {@link #model} knows. */
    public static final List<String> MODELS = List.of("cnn_relu", "cnn_relu_outlier", "mobilenet_v2_tiny", "mobilenet_v2_tiny_outlier");
    /** The system property naming the folder with the full Fashion-MNIST test set (benchmarks only). */
    public static final String DATA_PROPERTY = "pot4j.data";

    private static final String MARKER = "testdata/models/models.json";
    private static Path root;
    private static final Map<String, Path> BUILT = new java.util.HashMap<>();

    private TestFiles() {
    }

    /** The repository root: the first folder at or above user.dir with testdata/models/models.json. */
    public static synchronized Path root() {
        if (root == null) {
            Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize();
            for (Path dir = start; dir != null; dir = dir.getParent()) {
                if (Files.isRegularFile(dir.resolve(MARKER))) {
                    root = dir;
                    return root;
                }
            }
            throw new IllegalStateException("no repository root at or above " + start + " (looked for " + MARKER + ")");
        }
        return root;
    }

    /** A file or folder of the repository, {@code relative} to its root, or a clear failure. */
    public static Path file(String relative) {
        return existing(root().resolve(relative).normalize(), "in the repository");
    }

    /** A file or folder of the shipped example, examples/fashion-mnist/{@code relative}. */
    public static Path example(String relative) {
        return file("examples/fashion-mnist/" + relative);
    }

    /** The model {@code name} (with or without ".onnx"): one of {@link #MODELS}. */
    public static Path model(String name) {
        String model = name.endsWith(".onnx") ? name.substring(0, name.length() - ".onnx".length()) : name;
        return switch (model) {
            case "cnn_relu" -> example("models/cnn_relu.onnx");
            case "mobilenet_v2_tiny" -> file("testdata/models/mobilenet_v2_tiny.onnx");
            case "cnn_relu_outlier" -> built(model, () -> OutlierModel.build(modelBytes("cnn_relu")));
            case "mobilenet_v2_tiny_outlier" ->
                    built(model, () -> OutlierModel.buildMobileNet(modelBytes("mobilenet_v2_tiny")));
            default -> throw new IllegalArgumentException("unknown test model " + name + " (known: " + MODELS + ")");
        };
    }

    public static byte[] modelBytes(String name) {
        try {
            return Files.readAllBytes(model(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The model card: file, sha256, FP32 top-1 on the 10k test set, reference logits of the first 4 test images. */
    public static Path modelsJson() {
        return file(MARKER);
    }

    public static Path calibrationImages() {
        return example("data/calib-300-images-idx3-ubyte.gz");
    }

    public static Path calibrationLabels() {
        return example("data/calib-300-labels-idx1-ubyte.gz");
    }

    /** The first {@value #TEST_SLICE} images of the Fashion-MNIST test set. */
    public static Path testImages() {
        return example("data/test-1000-images-idx3-ubyte.gz");
    }

    public static Path testLabels() {
        return example("data/test-1000-labels-idx1-ubyte.gz");
    }

    /**
     * A file of the full Fashion-MNIST data (e.g. "t10k-images-idx3-ubyte.gz") in the folder {@code -Dpot4j.data}
     * names; benchmarks only (testdata/README.md says where to get it). Nothing is downloaded.
     */
    public static Path fullData(String name) {
        String dir = System.getProperty(DATA_PROPERTY);
        if (dir == null || dir.isBlank()) {
            throw new IllegalStateException(name + " is not in the repository (it holds the first " + TEST_SLICE
                    + " test images): download the Fashion-MNIST test set into a folder and pass -D" + DATA_PROPERTY
                    + "=DIR (see testdata/README.md)");
        }
        return existing(Path.of(dir).resolve(name).toAbsolutePath().normalize(), "in -D" + DATA_PROPERTY + "=" + dir
                + " (see testdata/README.md)");
    }

    /** Whether {@code -Dpot4j.data} is set, i.e. the full-set benchmarks can run. */
    public static boolean fullDataGiven() {
        String dir = System.getProperty(DATA_PROPERTY);
        return dir != null && !dir.isBlank();
    }

    /** Test images {@code first .. first+count-1} of the slice, normalized: float[count][28*28]. */
    public static float[][] testImages(int first, int count) {
        return images(testImages(), first, count);
    }

    /** Test images {@code first .. first+count-1} of the slice as one [count, 1, 28, 28] tensor, e.g. Tensor::ofFloats. */
    public static <T> T testBatch(int first, int count, BiFunction<long[], float[], T> tensor) {
        Idx images = Idx.read(testImages(), first, count);
        return tensor.apply(new long[] {count, 1, images.rows(), images.cols()}, images.normalized(0, count));
    }

    /** Images {@code first .. first+count-1} (count 0: to the end) of an IDX image file (gzip or plain), normalized. */
    public static float[][] images(Path file, int first, int count) {
        Idx idx = Idx.read(file, first, count);
        float[][] images = new float[idx.count()][];
        for (int i = 0; i < images.length; i++) {
            images[i] = idx.normalized(i, 1);
        }
        return images;
    }

    /** One [1, 1, 28, 28] input named "input" per image, the tensor made by {@code tensor} (e.g. Tensor::ofFloats). */
    public static <T> IntFunction<Map<String, T>> inputs(float[][] images, BiFunction<long[], float[], T> tensor) {
        return i -> Map.of("input", tensor.apply(new long[] {1, 1, 28, 28}, images[i]));
    }

    /** A pixel 0..255 as the models expect it. */
    public static float normalize(int pixel) {
        return (pixel / 255f - MEAN) / STD;
    }

    /**
     * Writes the test slice {@code times} times over as one IDX image and one label file (plain, not gzip) into
     * {@code dir}: a data set as large as the full test set for jobs that must run long enough to be interrupted.
     */
    public static IdxPair repeatedTestSet(Path dir, int times) throws IOException {
        Idx images = Idx.read(testImages(), 0, TEST_SLICE);
        byte[] labels = Idx.labels(testLabels(), 0, TEST_SLICE);
        Files.createDirectories(dir);
        int count = TEST_SLICE * times;
        IdxPair pair = new IdxPair(dir.resolve("test-" + count + "-images-idx3-ubyte"),
                dir.resolve("test-" + count + "-labels-idx1-ubyte"));
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(pair.images())))) {
            out.writeInt(0x00000803);
            out.writeInt(count);
            out.writeInt(images.rows());
            out.writeInt(images.cols());
            for (int i = 0; i < times; i++) {
                out.write(images.pixels());
            }
        }
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(pair.labels())))) {
            out.writeInt(0x00000801);
            out.writeInt(count);
            for (int i = 0; i < times; i++) {
                out.write(labels);
            }
        }
        return pair;
    }

    /** An IDX image file and its label file. */
    public record IdxPair(Path images, Path labels) {
    }

    /** Raw pixels of consecutive images of an IDX image file. */
    public record Idx(int total, int rows, int cols, byte[] pixels) {

        /** Images {@code first .. first+count-1} (count 0: to the end) of a gzipped or plain IDX image file. */
        public static Idx read(Path file, int first, int count) {
            try (DataInputStream in = open(file)) {
                int magic = in.readInt();
                if (magic != 0x00000803) {
                    throw new IOException(file + " is not an IDX image file (magic 0x" + Integer.toHexString(magic) + ")");
                }
                int total = in.readInt();
                int rows = in.readInt();
                int cols = in.readInt();
                int n = count > 0 ? count : total - first;
                if (first < 0 || n < 0 || first + n > total) {
                    throw new IllegalArgumentException("images " + first + ".." + (first + n - 1) + " asked of " + total
                            + " in " + file);
                }
                in.skipNBytes((long) first * rows * cols);
                byte[] pixels = new byte[n * rows * cols];
                in.readFully(pixels);
                return new Idx(total, rows, cols, pixels);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Images read. */
        public int count() {
            return pixels.length / (rows * cols);
        }

        /** Images {@code from .. from+n-1} of those read, normalized, one after the other. */
        public float[] normalized(int from, int n) {
            int size = rows * cols;
            float[] data = new float[n * size];
            for (int i = 0; i < data.length; i++) {
                data[i] = normalize(pixels[from * size + i] & 0xFF);
            }
            return data;
        }

        /** Labels {@code first .. first+count-1} (count 0: to the end) of a gzipped or plain IDX label file. */
        public static byte[] labels(Path file, int first, int count) {
            try (DataInputStream in = open(file)) {
                int magic = in.readInt();
                if (magic != 0x00000801) {
                    throw new IOException(file + " is not an IDX label file (magic 0x" + Integer.toHexString(magic) + ")");
                }
                int total = in.readInt();
                int n = count > 0 ? count : total - first;
                if (first < 0 || n < 0 || first + n > total) {
                    throw new IllegalArgumentException("labels " + first + ".." + (first + n - 1) + " asked of " + total
                            + " in " + file);
                }
                in.skipNBytes(first);
                byte[] labels = new byte[n];
                in.readFully(labels);
                return labels;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static DataInputStream open(Path file) throws IOException {
            InputStream raw = Files.newInputStream(file);
            return new DataInputStream(file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw);
        }
    }

    /** A model built in code, written once per JVM to a temporary file. */
    private static synchronized Path built(String name, java.util.function.Supplier<byte[]> bytes) {
        Path file = BUILT.get(name);
        if (file == null || !Files.isRegularFile(file)) {
            try {
                file = Files.createTempFile(name, ".onnx");
                file.toFile().deleteOnExit();
                Files.write(file, bytes.get());
                BUILT.put(name, file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return file;
    }

    private static Path existing(Path path, String where) {
        if (!Files.exists(path)) {
            throw new IllegalStateException("test file " + path + " not found " + where);
        }
        return path;
    }

    /**
     * Writes a model to a file, for job files that need it on disk (benchmarks/configs):
     * {@code java -cp testdata/target/classes org.pot4j.testsupport.TestFiles cnn_relu_outlier OUT.onnx}.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: TestFiles MODEL OUT.onnx  (MODEL: one of " + MODELS + ")");
            System.exit(2);
        }
        Path out = Path.of(args[1]).toAbsolutePath();
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        try (OutputStream stream = Files.newOutputStream(out)) {
            stream.write(modelBytes(args[0]));
        }
        System.out.println("wrote " + args[0] + " to " + out);
    }
}
