package org.pot4j.loader.images.internal;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.imageio.ImageIO;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.loader.support.Checksums;
import org.pot4j.loader.support.Layout;
import org.pot4j.loader.support.Preprocessing;
import org.pot4j.loader.support.PreprocessingStep;

/** Decodes and preprocesses an image on each get(); nothing mutable is shared, so reads are thread-safe. */
final class ImageFolderDataset implements Dataset {
    record Entry(Path file, Integer label) {
    }

    private final Path root;
    private final String field;
    private final List<Entry> entries;
    private final List<String> classNames;
    private final boolean annotated;
    private final Preprocessing preprocessing;
    private final ColorOrder color;
    private final Layout layout;
    private volatile long[] sampleShape;
    private volatile String identity;

    ImageFolderDataset(Path root, String field, List<Entry> entries, List<String> classNames, boolean annotated,
                       Preprocessing preprocessing, ColorOrder color, Layout layout) {
        this.root = root;
        this.field = field;
        this.entries = entries;
        this.classNames = classNames;
        this.annotated = annotated;
        this.preprocessing = preprocessing;
        this.color = color;
        this.layout = layout;
    }

    @Override
    public int size() {
        return entries.size();
    }

    @Override
    public boolean annotated() {
        return annotated;
    }

    List<String> classNames() {
        return classNames;
    }

    @Override
    public Sample get(int index) {
        if (index < 0 || index >= entries.size()) {
            throw new IndexOutOfBoundsException("sample " + index + " of " + root + " (size " + entries.size() + ")");
        }
        Entry entry = entries.get(index);
        Pixels pixels = Pixels.of(decode(entry.file())).toColor(color);
        for (PreprocessingStep step : preprocessing.steps()) {
            pixels = apply(step, pixels, entry.file());
        }
        long[] shape = layout.sampleShape(pixels.channels(), pixels.height(), pixels.width());
        long[] expected = sampleShape;
        if (expected == null) {
            sampleShape = shape; // the first decoded image fixes the shape (open() decodes sample 0)
        } else if (!Arrays.equals(expected, shape)) {
            throw new InvalidInputException(field, entry.file(), "images of one size after preprocessing: this one gives "
                    + Arrays.toString(shape) + ", the first gives " + Arrays.toString(expected)
                    + " (add a resize and/or crop step to the preprocessing)");
        }
        float[] values = layout.fromInterleaved(pixels.values(), pixels.channels(), pixels.height(), pixels.width());
        return new Sample(index, Tensor.ofFloats(shape, values), entry.label());
    }

    private static Pixels apply(PreprocessingStep step, Pixels pixels, Path file) {
        if (step instanceof PreprocessingStep.Resize resize) {
            return pixels.resize(resize.width(), resize.height());
        }
        if (step instanceof PreprocessingStep.Crop crop) {
            if (crop.width() > pixels.width() || crop.height() > pixels.height()) {
                throw new InvalidInputException(step.field() + ".size", crop.width() + "x" + crop.height(),
                        "a crop within the image: " + file + " is " + pixels.width() + "x" + pixels.height()
                                + " at this step (resize it first)");
            }
            return pixels.centerCrop(crop.width(), crop.height());
        }
        if (step instanceof PreprocessingStep.BgrToRgb) {
            if (pixels.channels() != 3) {
                throw new InvalidInputException(step.field() + ".type", "bgr_to_rgb", "a 3-channel image; color is GRAYSCALE");
            }
            return pixels.swapFirstAndThird();
        }
        // the array belongs to this sample alone (decoded for this call), so it is changed in place
        Preprocessing.applyValue(step, pixels.values(), pixels.channels(), true);
        return pixels;
    }

    private BufferedImage decode(Path file) {
        try {
            BufferedImage image = ImageIO.read(file.toFile());
            if (image == null) {
                throw new InvalidInputException(field, file, "a JPEG, PNG or BMP image (no decoder accepts this file)");
            }
            return image;
        } catch (IOException e) {
            throw new InvalidInputException(field, file, "a readable, uncorrupted image (" + e.getMessage() + ")", e);
        }
    }

    /** SHA-256 over each file's relative path, label and content, plus the preprocessing; computed once. */
    @Override
    public String identity() {
        String result = identity;
        if (result == null) {
            MessageDigest digest = Checksums.sha256();
            try {
                for (Entry entry : entries) {
                    digest.update((root.relativize(entry.file()) + "|" + entry.label() + "|")
                            .getBytes(StandardCharsets.UTF_8));
                    digest.update(Files.readAllBytes(entry.file()));
                }
            } catch (IOException e) {
                throw new InvalidInputException(field, root, "readable image files (" + e + ")", e);
            }
            digest.update(("images;color=" + color + ";layout=" + layout + ";preprocessing=" + preprocessing.canonical())
                    .getBytes(StandardCharsets.UTF_8));
            result = "images:" + HexFormat.of().formatHex(digest.digest());
            identity = result;
        }
        return result;
    }
}
