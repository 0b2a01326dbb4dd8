package org.pot4j.stats;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;
import java.util.zip.GZIPInputStream;
import org.pot4j.api.tensor.Tensor;

/** Test data: Fashion-MNIST IDX images normalized as the shared models expect, as [1, 1, 28, 28] inputs. */
final class IdxImages {
    static final double MEAN = 0.2860, STD = 0.3530;

    private IdxImages() {
    }

    /** The images of a gzipped IDX3 file, normalized: float[count][28*28]. */
    static float[][] read(Path file) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            int magic = in.readInt();
            if (magic != 0x00000803) {
                throw new IOException(file + " is not an IDX3 image file (magic " + Integer.toHexString(magic) + ")");
            }
            int count = in.readInt(), rows = in.readInt(), cols = in.readInt();
            byte[] pixels = new byte[rows * cols];
            float[][] images = new float[count][];
            for (int i = 0; i < count; i++) {
                in.readFully(pixels);
                float[] image = new float[pixels.length];
                for (int p = 0; p < pixels.length; p++) {
                    image[p] = (float) (((pixels[p] & 0xFF) / 255.0 - MEAN) / STD);
                }
                images[i] = image;
            }
            return images;
        }
    }

    static IntFunction<Map<String, Tensor>> inputs(float[][] images) {
        return i -> Map.of("input", Tensor.ofFloats(new long[] {1, 1, 28, 28}, images[i]));
    }

    /** Deterministic synthetic images (for subsets larger than the calibration file). */
    static IntFunction<Map<String, Tensor>> synthetic(long seed) {
        return i -> {
            Random random = new Random(seed * 1_000_003L + i);
            float[] image = new float[28 * 28];
            for (int p = 0; p < image.length; p++) {
                image[p] = (float) ((random.nextInt(256) / 255.0 - MEAN) / STD);
            }
            return Map.of("input", Tensor.ofFloats(new long[] {1, 1, 28, 28}, image));
        };
    }
}
