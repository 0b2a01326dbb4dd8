package org.pot4j.loader.images.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.params.Parameters;

class ImageFolderLoaderTest {
    @TempDir
    Path temp;

    private final ImageFolderLoader loader = new ImageFolderLoader();

    private Dataset open(Map<String, Object> values) {
        return loader.open(new Parameters(values, "engine.dataset", temp));
    }

    private InvalidInputException fails(Map<String, Object> values) {
        return assertThrows(InvalidInputException.class, () -> open(values));
    }

    /** An RGB image whose pixel (x, y) is (r0 + x, g0 + y, b). */
    private Path png(String relative, int width, int height, int r0, int g0, int b) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, ((r0 + x) << 16) | ((g0 + y) << 8) | b);
            }
        }
        return write(image, relative, "png");
    }

    private Path write(BufferedImage image, String relative, String format) throws IOException {
        Path path = temp.resolve(relative);
        Files.createDirectories(path.getParent());
        assertTrue(ImageIO.write(image, format, path.toFile()));
        return path;
    }

    @Test
    void classFoldersGiveSortedLabelsAndExactPixels() throws IOException {
        png("set/dog/b.png", 3, 2, 10, 20, 30);
        png("set/dog/a.png", 3, 2, 40, 50, 60);
        png("set/ant/x.png", 3, 2, 70, 80, 90);
        png("set/cat/y.png", 3, 2, 100, 110, 120);
        Files.writeString(temp.resolve("set/cat/notes.txt"), "not an image");
        ImageFolderDataset dataset = (ImageFolderDataset) open(Map.of("data_source", "set"));
        assertEquals(List.of("ant", "cat", "dog"), dataset.classNames());
        assertTrue(dataset.annotated());
        assertEquals(4, dataset.size());
        assertEquals(List.of(0, 1, 2, 2), List.of(dataset.get(0).label(), dataset.get(1).label(),
                dataset.get(2).label(), dataset.get(3).label()));
        Sample dogA = dataset.get(2); // dog/a.png sorts before dog/b.png
        assertArrayEquals(new long[] {3, 2, 3}, dogA.input().shape());
        float[] v = dogA.input().floats();
        // NCHW planes: R = 40 + x, G = 50 + y, B = 60
        assertArrayEquals(new float[] {40, 41, 42, 40, 41, 42}, java.util.Arrays.copyOfRange(v, 0, 6));
        assertArrayEquals(new float[] {50, 50, 50, 51, 51, 51}, java.util.Arrays.copyOfRange(v, 6, 12));
        assertArrayEquals(new float[] {60, 60, 60, 60, 60, 60}, java.util.Arrays.copyOfRange(v, 12, 18));
    }

    @Test
    void bgrNhwcAndGrayscale() throws IOException {
        png("flat/one.png", 2, 1, 10, 20, 30);
        Sample bgr = open(Map.of("data_source", "flat", "color", "BGR", "layout", "NHWC")).get(0);
        assertArrayEquals(new long[] {1, 2, 3}, bgr.input().shape());
        assertArrayEquals(new float[] {30, 20, 10, 30, 20, 11}, bgr.input().floats());
        Sample swappedBack = open(Map.of("data_source", "flat", "color", "BGR", "layout", "NHWC",
                "preprocessing", List.of(Map.of("type", "bgr_to_rgb")))).get(0);
        assertArrayEquals(new float[] {10, 20, 30, 11, 20, 30}, swappedBack.input().floats());
        Sample gray = open(Map.of("data_source", "flat", "color", "GRAYSCALE")).get(0);
        assertArrayEquals(new long[] {1, 1, 2}, gray.input().shape());
        assertEquals(0.299f * 10 + 0.587f * 20 + 0.114f * 30, gray.input().floats()[0], 1e-4);
    }

    @Test
    void grayscaleFilesKeepTheirExactValues() throws IOException {
        BufferedImage image = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_GRAY);
        int[] levels = {0, 17, 128, 255};
        for (int x = 0; x < 4; x++) {
            image.getRaster().setSample(x, 0, 0, levels[x]);
        }
        write(image, "gray/g.png", "png");
        Sample gray = open(Map.of("data_source", "gray", "color", "GRAYSCALE")).get(0);
        assertArrayEquals(new float[] {0, 17, 128, 255}, gray.input().floats());
        Sample rgb = open(Map.of("data_source", "gray")).get(0);
        assertArrayEquals(new long[] {3, 1, 4}, rgb.input().shape());
        assertArrayEquals(new float[] {0, 17, 128, 255, 0, 17, 128, 255, 0, 17, 128, 255}, rgb.input().floats());
    }

    @Test
    void resizeCropAndPerChannelNormalization() throws IOException {
        png("flat/p.png", 4, 4, 0, 100, 7);
        // 4x4 -> 2x2 bilinear with half-pixel centers samples at 0.5 and 2.5: averages of pixel pairs
        Sample resized = open(Map.of("data_source", "flat", "preprocessing", List.of(Map.of("type", "resize", "size", 2)))).get(0);
        assertArrayEquals(new long[] {3, 2, 2}, resized.input().shape());
        assertArrayEquals(new float[] {0.5f, 2.5f, 0.5f, 2.5f, 100.5f, 100.5f, 102.5f, 102.5f, 7, 7, 7, 7},
                resized.input().floats(), 1e-5f);

        png("crop/p.png", 5, 5, 0, 0, 0);
        Sample cropped = open(Map.of("data_source", "crop", "layout", "NHWC", "color", "GRAYSCALE",
                "preprocessing", List.of(Map.of("type", "crop", "size", 3)))).get(0);
        assertArrayEquals(new long[] {3, 3, 1}, cropped.input().shape());
        // gray = 0.299 * (x) + 0.587 * (y); the window starts at (1, 1)
        assertEquals(0.299f * 1 + 0.587f * 1, cropped.input().floats()[0], 1e-4);
        assertEquals(0.299f * 3 + 0.587f * 3, cropped.input().floats()[8], 1e-4);

        Sample normalized = open(Map.of("data_source", "flat", "preprocessing", List.of(
                Map.of("type", "normalization", "mean", List.of(1, 100, 7), "std", List.of(1, 2, 1))))).get(0);
        float[] n = normalized.input().floats();
        assertEquals(-1f, n[0]);           // R at (0,0): (0 - 1) / 1
        assertEquals(1.5f, n[16 + 15]);    // G at (3,3): (103 - 100) / 2
        assertEquals(0f, n[32 + 5]);       // B: (7 - 7) / 1
    }

    @Test
    void jpegAndFlatFolderWithoutLabels() throws IOException {
        BufferedImage image = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                image.setRGB(x, y, (200 << 16) | (100 << 8) | 50);
            }
        }
        write(image, "jpegs/a.jpg", "jpg");
        write(image, "jpegs/b.JPEG", "jpg");
        Dataset dataset = open(Map.of("data_source", "jpegs"));
        assertFalse(dataset.annotated());
        assertEquals(2, dataset.size());
        assertNull(dataset.get(1).label());
        float[] v = dataset.get(0).input().floats();
        assertEquals(200, v[0], 3);      // JPEG is lossy: close, not exact
        assertEquals(100, v[256], 3);
        assertEquals(50, v[512], 3);
    }

    @Test
    void concurrentReadsAreConsistent() throws Exception {
        for (int i = 0; i < 12; i++) {
            png("many/c" + (i % 3) + "/" + i + ".png", 8, 8, i * 10, i, 3);
        }
        Dataset dataset = open(Map.of("data_source", "many", "preprocessing", List.of(Map.of("type", "resize", "size", 5),
                Map.of("type", "scale", "value", 1.0 / 255))));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < 12; i++) {
                    int index = i;
                    futures.add(pool.submit(() -> dataset.get(index).input().floats()));
                }
            }
            for (int k = 0; k < futures.size(); k++) {
                assertArrayEquals(dataset.get(k % 12).input().floats(), futures.get(k).get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void identityFollowsContentAndPreprocessing() throws IOException {
        png("id/a.png", 4, 4, 1, 2, 3);
        Map<String, Object> values = new HashMap<>(Map.of("data_source", "id"));
        String first = open(values).identity();
        assertEquals(first, open(values).identity());
        values.put("color", "BGR");
        assertNotEquals(first, open(values).identity());
        values.remove("color");
        png("id/a.png", 4, 4, 9, 2, 3);
        assertNotEquals(first, open(values).identity());
    }

    @Test
    void badInputIsNamed() throws IOException {
        InvalidInputException missing = fails(Map.of("data_source", "nowhere"));
        assertEquals("engine.dataset.data_source", missing.field());
        assertTrue(missing.getMessage().contains(temp.resolve("nowhere").toString()), missing.getMessage());

        Files.createDirectories(temp.resolve("empty"));
        assertTrue(fails(Map.of("data_source", "empty")).getMessage().contains("found none"));

        png("sizes/a.png", 4, 4, 0, 0, 0);
        png("sizes/b.png", 5, 4, 0, 0, 0);
        Dataset mixed = open(Map.of("data_source", "sizes"));
        InvalidInputException size = assertThrows(InvalidInputException.class, () -> mixed.get(1));
        assertTrue(size.getMessage().contains("b.png") && size.getMessage().contains("resize"), size.getMessage());
        assertArrayEquals(new long[] {3, 3, 3}, open(Map.of("data_source", "sizes", "preprocessing",
                List.of(Map.of("type", "resize", "size", 3)))).get(1).input().shape());

        InvalidInputException crop = fails(Map.of("data_source", "sizes", "preprocessing", List.of(Map.of("type", "crop", "size", 9))));
        assertEquals("engine.dataset.preprocessing[0].size", crop.field());

        Files.createDirectories(temp.resolve("corrupt"));
        Files.writeString(temp.resolve("corrupt/bad.png"), "definitely not a png");
        InvalidInputException corrupt = fails(Map.of("data_source", "corrupt"));
        assertTrue(corrupt.getMessage().contains("bad.png"), corrupt.getMessage());

        png("both/top.png", 2, 2, 0, 0, 0);
        png("both/cls/inner.png", 2, 2, 0, 0, 0);
        assertTrue(fails(Map.of("data_source", "both")).getMessage().contains("not both"));

        InvalidInputException step = fails(Map.of("data_source", "sizes", "preprocessing", List.of(Map.of("type", "rezise", "size", 3))));
        assertEquals("engine.dataset.preprocessing[0].type", step.field());
        assertTrue(step.getMessage().contains("did you mean 'resize'"), step.getMessage());
        InvalidInputException color = fails(Map.of("data_source", "sizes", "color", "RBG"));
        assertEquals("engine.dataset.color", color.field());
        InvalidInputException channels = fails(Map.of("data_source", "sizes", "color", "GRAYSCALE", "preprocessing",
                List.of(Map.of("type", "normalization", "mean", List.of(1, 2, 3)))));
        assertEquals("engine.dataset.preprocessing[0].mean", channels.field());
    }
}
