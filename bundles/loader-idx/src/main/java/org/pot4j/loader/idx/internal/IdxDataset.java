package org.pot4j.loader.idx.internal;

import java.util.HexFormat;
import java.security.MessageDigest;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.loader.support.Checksums;
import org.pot4j.loader.support.Layout;
import org.pot4j.loader.support.Preprocessing;

/** IDX images (and labels) in memory; every get() builds a fresh float sample, so reads are thread-safe. */
final class IdxDataset implements Dataset {
    private final IdxFile images;
    private final IdxFile labels;
    private final Preprocessing preprocessing;
    private final Layout layout;
    private final int rows;
    private final int cols;
    private volatile String identity;

    IdxDataset(IdxFile images, IdxFile labels, Preprocessing preprocessing, Layout layout) {
        this.images = images;
        this.labels = labels;
        this.preprocessing = preprocessing;
        this.layout = layout;
        this.rows = images.dims[1];
        this.cols = images.dims[2];
    }

    @Override
    public int size() {
        return images.count();
    }

    @Override
    public Sample get(int index) {
        if (index < 0 || index >= size()) {
            throw new IndexOutOfBoundsException("sample " + index + " of " + images.path + " (size " + size() + ")");
        }
        int pixels = rows * cols;
        float[] values = new float[pixels];
        long start = (long) index * pixels;
        for (int i = 0; i < pixels; i++) {
            values[i] = images.unsignedByte(start + i);
        }
        // one channel: the same buffer is both planar and interleaved
        preprocessing.applyValues(values, 1, false);
        Integer label = labels == null ? null : labels.unsignedByte(index);
        return new Sample(index, Tensor.ofFloats(layout.sampleShape(1, rows, cols), values), label);
    }

    @Override
    public boolean annotated() {
        return labels != null;
    }

    /** SHA-256 of the uncompressed bytes of both files, the preprocessing and the layout; computed once. */
    @Override
    public String identity() {
        String result = identity;
        if (result == null) {
            MessageDigest digest = Checksums.sha256();
            digest.update(("idx;images=" + imagesSha256() + ";labels=" + (labels == null ? "none" : labelsSha256())
                    + ";preprocessing=" + preprocessing.canonical() + ";layout=" + layout)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            result = "idx:" + HexFormat.of().formatHex(digest.digest());
            identity = result;
        }
        return result;
    }

    String imagesSha256() {
        return Checksums.sha256(images.bytes, 0, images.bytes.length);
    }

    String labelsSha256() {
        return labels == null ? null : Checksums.sha256(labels.bytes, 0, labels.bytes.length);
    }
}
