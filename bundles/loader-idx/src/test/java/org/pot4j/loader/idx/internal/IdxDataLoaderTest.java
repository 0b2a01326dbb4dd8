package org.pot4j.loader.idx.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.params.Parameters;
import org.pot4j.testsupport.TestFiles;

class IdxDataLoaderTest {
    private static final Map<String, Object> MODEL_NORMALIZATION = Map.of("type", "normalization", "mean", 72.93, "std", 90.015);

    @TempDir
    Path temp;

    private final IdxDataLoader loader = new IdxDataLoader();

    private static Parameters params(Map<String, Object> values) {
        return new Parameters(values, "engine.dataset", null);
    }

    private static Map<String, Object> files(String prefix) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("images", TestFiles.example("data/" + prefix + "-images-idx3-ubyte.gz").toString());
        values.put("labels", TestFiles.example("data/" + prefix + "-labels-idx1-ubyte.gz").toString());
        values.put("preprocessing", List.of(MODEL_NORMALIZATION));
        return values;
    }

    @Test
    void calibrationSetCountsLabelsAndChecksums() {
        IdxDataset dataset = (IdxDataset) loader.open(params(files("calib-300")));
        assertEquals(300, dataset.size());
        assertTrue(dataset.annotated());
        int[] firstLabels = new int[10];
        int[] classCounts = new int[10];
        for (int i = 0; i < 300; i++) {
            int label = dataset.get(i).label();
            if (i < 10) {
                firstLabels[i] = label;
            }
            classCounts[label]++;
        }
        assertArrayEquals(new int[] {0, 2, 6, 5, 2, 2, 2, 9, 5, 5}, firstLabels);
        // class counts from testdata/README.md (Fashion-MNIST facts)
        assertArrayEquals(new int[] {37, 18, 34, 33, 33, 29, 26, 27, 36, 27}, classCounts);
        assertEquals("5bc5aaa83eefe4e701002ea299d4581fc7338d7d19e016359bf335db97ca150d", dataset.imagesSha256());
        assertEquals("99955656ebfb66c420648ec9b99c8502683b812dfdbe02009c962ed8c06a2a02", dataset.labelsSha256());
    }

    @Test
    void testSetCountsAndPixelsFollowTheModelFormula() throws IOException {
        // the repository's slice: the first 1000 images and labels of the Fashion-MNIST test set
        IdxDataset dataset = (IdxDataset) loader.open(params(files("test-1000")));
        assertEquals(1000, dataset.size());
        assertEquals(List.of(9, 2, 1, 1, 6), List.of(dataset.get(0).label(), dataset.get(1).label(),
                dataset.get(2).label(), dataset.get(3).label(), dataset.get(4).label()));
        assertEquals("b40abac7ec8228f434940f579deb7cf7b6e3103b5274cb91d1545771f5ef1c8b", dataset.labelsSha256());
        assertEquals("7a6d8e07ea021ec5bc73135ebd0a5770799557ec6f8242d8749c4f32a3cf4643", dataset.imagesSha256());

        // independent read of image 0 straight from the gzip stream
        byte[] raw;
        try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(TestFiles.testImages()))) {
            raw = in.readNBytes(16 + 784);
        }
        Sample first = dataset.get(0);
        assertArrayEquals(new long[] {1, 28, 28}, first.input().shape());
        float[] x = first.input().floats();
        double pixelSum = 0;
        for (int i = 0; i < 784; i++) {
            int p = raw[16 + i] & 0xFF;
            pixelSum += p;
            assertEquals((p / 255.0 - 0.2860) / 0.3530, x[i], 1e-5, "pixel " + i);
        }
        assertEquals(33456, pixelSum); // sum of image 0's pixels, computed with Python
    }

    @Test
    void nhwcLayoutAndNoLabels() {
        Map<String, Object> values = files("calib-300");
        values.remove("labels");
        values.put("layout", "NHWC");
        Dataset dataset = loader.open(params(values));
        assertFalse(dataset.annotated());
        Sample sample = dataset.get(5);
        assertNull(sample.label());
        assertArrayEquals(new long[] {28, 28, 1}, sample.input().shape());
        Dataset nchw = loader.open(params(files("calib-300")));
        assertArrayEquals(nchw.get(5).input().floats(), sample.input().floats());
    }

    @Test
    void identityDependsOnDataAndPreprocessingNotOnCompression() throws IOException {
        Dataset gz = loader.open(params(files("calib-300")));
        Path plainImages = gunzip(TestFiles.calibrationImages(), "images");
        Path plainLabels = gunzip(TestFiles.calibrationLabels(), "labels");
        Map<String, Object> values = files("calib-300");
        values.put("images", plainImages.toString());
        values.put("labels", plainLabels.toString());
        Dataset plain = loader.open(params(values));
        assertEquals(gz.identity(), plain.identity());
        assertEquals(gz.identity(), gz.identity());
        assertArrayEquals(gz.get(299).input().floats(), plain.get(299).input().floats());
        values.put("preprocessing", List.of(Map.of("type", "normalization", "mean", 72.0, "std", 90.015)));
        assertNotEquals(gz.identity(), loader.open(params(values)).identity());
        assertNotEquals(gz.identity(), loader.open(params(files("test-1000"))).identity());
    }

    @Test
    void concurrentReadsGiveTheSameSamples() throws Exception {
        Dataset dataset = loader.open(params(files("calib-300")));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                int index = i;
                futures.add(pool.submit(() -> dataset.get(index).input().floats()));
            }
            for (int i = 0; i < 300; i++) {
                assertArrayEquals(dataset.get(i).input().floats(), futures.get(i).get(), "sample " + i);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void missingFileNamesFieldAndPath() {
        Map<String, Object> values = files("calib-300");
        values.put("images", temp.resolve("nope.gz").toString());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> loader.open(params(values)));
        assertEquals("engine.dataset.images", e.field());
        assertTrue(e.getMessage().contains("nope.gz"), e.getMessage());
    }

    @Test
    void relativePathsResolveAgainstTheBaseDirectory() {
        Path images = TestFiles.calibrationImages();
        Parameters p = new Parameters(Map.of("images", images.getFileName().toString()), "engine.dataset", images.getParent());
        assertEquals(300, loader.open(p).size());
    }

    @Test
    void wrongMagicNamesFileFoundAndExpected() {
        Map<String, Object> values = files("calib-300");
        values.put("images", TestFiles.calibrationLabels().toString());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> loader.open(params(values)));
        assertEquals("engine.dataset.images", e.field());
        assertTrue(e.getMessage().contains("calib-300-labels-idx1-ubyte.gz"), e.getMessage());
        assertTrue(e.getMessage().contains("0x00000803") && e.getMessage().contains("found magic 0x00000801"), e.getMessage());
    }

    @Test
    void truncatedDataAndTruncatedGzip() throws IOException {
        Path images = write("short-images", idx(0x803, new int[] {3, 2, 2}, new byte[11]));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> loader.open(params(Map.of("images", images.toString()))));
        assertTrue(e.getMessage().contains("12 data bytes but only 11"), e.getMessage());

        byte[] gz = Files.readAllBytes(TestFiles.calibrationImages());
        Path cut = write("cut.gz", java.util.Arrays.copyOf(gz, gz.length / 2));
        InvalidInputException gzip = assertThrows(InvalidInputException.class,
                () -> loader.open(params(Map.of("images", cut.toString()))));
        assertEquals("engine.dataset.images", gzip.field());
        assertTrue(gzip.getMessage().contains("gzip"), gzip.getMessage());
    }

    @Test
    void labelCountMustMatch() throws IOException {
        Path images = write("images", idx(0x803, new int[] {2, 2, 2}, new byte[8]));
        Path labels = write("labels.gz", gzip(idx(0x801, new int[] {3}, new byte[] {1, 2, (byte) 200})));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> loader.open(params(Map.of("images", images.toString(), "labels", labels.toString()))));
        assertEquals("engine.dataset.labels", e.field());
        assertTrue(e.getMessage().contains("3 labels, 2 images"), e.getMessage());

        // labels above 9 are not this loader's business (no class count): read as unsigned bytes
        Path two = write("labels2", idx(0x801, new int[] {2}, new byte[] {(byte) 200, 7}));
        Dataset dataset = loader.open(params(Map.of("images", images.toString(), "labels", two.toString())));
        assertEquals(200, dataset.get(0).label());
        assertEquals(7, dataset.get(1).label());
    }

    @Test
    void zeroStdAndUnknownStepAndTyposAreNamed() {
        Map<String, Object> values = files("calib-300");
        values.put("preprocessing", List.of(Map.of("type", "normalization", "mean", 1, "std", 0)));
        assertEquals("engine.dataset.preprocessing[0].std",
                assertThrows(InvalidInputException.class, () -> loader.open(params(values))).field());

        values.put("preprocessing", List.of(MODEL_NORMALIZATION, Map.of("type", "normalization", "std", 1e-40)));
        assertEquals("engine.dataset.preprocessing[1].std",
                assertThrows(InvalidInputException.class, () -> loader.open(params(values))).field());

        values.put("preprocessing", List.of(Map.of("type", "crop", "size", 20)));
        InvalidInputException crop = assertThrows(InvalidInputException.class, () -> loader.open(params(values)));
        assertEquals("engine.dataset.preprocessing[0].type", crop.field());

        Map<String, Object> typo = new HashMap<>(files("calib-300"));
        typo.put("lables", typo.remove("labels"));
        InvalidInputException key = assertThrows(InvalidInputException.class, () -> loader.open(params(typo)));
        assertEquals("engine.dataset.lables", key.field());
        assertTrue(key.getMessage().contains("did you mean 'labels'"), key.getMessage());

        Map<String, Object> layout = files("calib-300");
        layout.put("layout", "NCWH");
        assertEquals("engine.dataset.layout",
                assertThrows(InvalidInputException.class, () -> loader.open(params(layout))).field());
    }

    private static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer buffer = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        buffer.putInt(magic);
        for (int d : dims) {
            buffer.putInt(d);
        }
        buffer.put(data);
        return buffer.array();
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(temp.resolve(name), bytes);
    }

    private Path gunzip(Path gz, String name) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            return write(name, in.readAllBytes());
        }
    }
}
