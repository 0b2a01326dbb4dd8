package org.pot4j.algorithm.testkit;

import java.nio.file.Path;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.testsupport.TestFiles;

/**
 * Fashion-MNIST IDX images and labels as a {@link Dataset} (files read by {@link TestFiles.Idx}), normalized as the
 * models expect: {@code (p / 255 - 0.286) / 0.353}, each sample a [1, 28, 28] float tensor.
 */
public final class IdxDataset implements Dataset {
    private final TestFiles.Idx images;
    private final byte[] labels;
    private final String identity;

    /** The first {@code limit} images (0: all) and, unless {@code labelsFile} is null, their labels. */
    public IdxDataset(Path imagesFile, Path labelsFile, int limit) {
        images = TestFiles.Idx.read(imagesFile, 0, limit);
        labels = labelsFile == null ? null : TestFiles.Idx.labels(labelsFile, 0, images.count());
        identity = imagesFile.getFileName() + ":" + images.count();
    }

    /** calib-300: 300 training images and labels. */
    public static IdxDataset calibration() {
        return new IdxDataset(TestFiles.calibrationImages(), TestFiles.calibrationLabels(), 0);
    }

    /**
     * The first {@code limit} test images: from the repository's slice (test-1000) up to 1000; more (or 0: all 10k)
     * from the full test set of {@code -Dpot4j.data=DIR}, for benchmarks ({@link TestFiles#fullData}).
     */
    public static IdxDataset test(int limit) {
        if (limit > 0 && limit <= TestFiles.TEST_SLICE) {
            return new IdxDataset(TestFiles.testImages(), TestFiles.testLabels(), limit);
        }
        return new IdxDataset(TestFiles.fullData("t10k-images-idx3-ubyte.gz"),
                TestFiles.fullData("t10k-labels-idx1-ubyte.gz"), limit);
    }

    @Override
    public int size() {
        return images.count();
    }

    @Override
    public Sample get(int index) {
        return new Sample(index, Tensor.ofFloats(new long[] {1, images.rows(), images.cols()},
                images.normalized(index, 1)), labels == null ? null : (int) labels[index]);
    }

    /** Samples {@code from .. from+n-1} as one [n, 1, rows, cols] batch. */
    public Tensor batch(int from, int n) {
        return Tensor.ofFloats(new long[] {n, 1, images.rows(), images.cols()}, images.normalized(from, n));
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
