package org.pot4j.model;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** The first images of an IDX (gzip) image file, normalized as the shared models expect. */
final class FashionMnist {
    static final float MEAN = 0.286f;
    static final float STD = 0.353f;

    private FashionMnist() {
    }

    /** {@code count} images as [count][1*28*28] floats, x = (p/255 - mean) / std. */
    static float[][] images(Path file, int count) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            int magic = in.readInt();
            if (magic != 0x00000803) {
                throw new IOException(file + ": not an IDX image file (magic " + Integer.toHexString(magic) + ")");
            }
            int available = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            int n = Math.min(count, available);
            float[][] images = new float[n][rows * cols];
            byte[] pixels = new byte[rows * cols];
            for (int i = 0; i < n; i++) {
                in.readFully(pixels);
                for (int p = 0; p < pixels.length; p++) {
                    images[i][p] = ((pixels[p] & 0xFF) / 255f - MEAN) / STD;
                }
            }
            return images;
        }
    }
}
