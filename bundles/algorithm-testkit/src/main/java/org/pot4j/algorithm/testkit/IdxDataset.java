package org.pot4j.algorithm.testkit;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.tensor.Tensor;

/**
 * Fashion-MNIST IDX (gzipped) images and labels, normalized as the shared models expect:
 * {@code (p / 255 - 0.286) / 0.353}, each sample a [1, 28, 28] float tensor.
 */
public final class IdxDataset implements Dataset {
    private final byte[] pixels;
    private final byte[] labels;
    private final int count;
    private final int rows;
    private final int cols;
    private final String identity;

    public IdxDataset(Path images, Path labelsFile, int limit) throws IOException {
        try (DataInputStream in = open(images)) {
            if (in.readInt() != 0x00000803) {
                throw new IOException(images + " is not an IDX image file");
            }
            int total = in.readInt();
            rows = in.readInt();
            cols = in.readInt();
            count = limit > 0 ? Math.min(limit, total) : total;
            pixels = new byte[count * rows * cols];
            in.readFully(pixels);
        }
        if (labelsFile == null) {
            labels = null;
        } else {
            try (DataInputStream in = open(labelsFile)) {
                if (in.readInt() != 0x00000801) {
                    throw new IOException(labelsFile + " is not an IDX label file");
                }
                in.readInt();
                labels = new byte[count];
                in.readFully(labels);
            }
        }
        identity = images.getFileName() + ":" + count;
    }

    public static IdxDataset calibration() throws IOException {
        return new IdxDataset(SharedFiles.resolve("data/calib-300-images-idx3-ubyte.gz"),
                SharedFiles.resolve("data/calib-300-labels-idx1-ubyte.gz"), 0);
    }

    public static IdxDataset test(int limit) throws IOException {
        return new IdxDataset(SharedFiles.resolve("data/t10k-images-idx3-ubyte.gz"),
                SharedFiles.resolve("data/t10k-labels-idx1-ubyte.gz"), limit);
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream raw = Files.newInputStream(file);
        return new DataInputStream(file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw);
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public Sample get(int index) {
        int n = rows * cols;
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = ((pixels[index * n + i] & 0xFF) / 255f - 0.286f) / 0.353f;
        }
        return new Sample(index, Tensor.ofFloats(new long[] {1, rows, cols}, data),
                labels == null ? null : (int) labels[index]);
    }

    /** Samples {@code from .. from+n-1} as one [n, 1, rows, cols] batch. */
    public Tensor batch(int from, int n) {
        int size = rows * cols;
        float[] data = new float[n * size];
        for (int i = 0; i < n * size; i++) {
            data[i] = ((pixels[from * size + i] & 0xFF) / 255f - 0.286f) / 0.353f;
        }
        return Tensor.ofFloats(new long[] {n, 1, rows, cols}, data);
    }

    public int label(int index) {
        return labels[index];
    }

    @Override
    public boolean annotated() {
        return labels != null;
    }

    @Override
    public String identity() {
        return identity;
    }
}
