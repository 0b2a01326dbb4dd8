package org.pot4j.loader.images.internal;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;

/**
 * An image as floats in 0..255, interleaved [height, width, channels]. The geometric operations
 * return new instances; values are never shared between samples.
 */
record Pixels(float[] values, int height, int width, int channels) {

    /** Decodes to RGB (3 channels), or to 1 channel when the file itself is grayscale. */
    static Pixels of(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        Raster raster = image.getRaster();
        boolean gray = image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && image.getColorModel().getNumColorComponents() == 1;
        if (gray) {
            // read the samples directly: getRGB() would pass gray through a color conversion and change the values
            int bits = image.getColorModel().getComponentSize(0);
            double toByteRange = 255.0 / ((1 << bits) - 1);
            float[] values = new float[width * height];
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    values[y * width + x] = (float) Math.rint(raster.getSample(x, y, 0) * toByteRange);
                }
            }
            return new Pixels(values, height, width, 1);
        }
        int[] argb = image.getRGB(0, 0, width, height, null, 0, width);
        float[] values = new float[width * height * 3];
        for (int i = 0; i < argb.length; i++) {
            values[3 * i] = (argb[i] >> 16) & 0xFF;
            values[3 * i + 1] = (argb[i] >> 8) & 0xFF;
            values[3 * i + 2] = argb[i] & 0xFF;
        }
        return new Pixels(values, height, width, 3);
    }

    /** From the decoded channels (RGB or gray) to the requested color order. */
    Pixels toColor(ColorOrder color) {
        int plane = height * width;
        return switch (color) {
            case RGB -> channels == 3 ? this : replicate();
            case BGR -> channels == 3 ? swapFirstAndThird() : replicate();
            case GRAYSCALE -> {
                if (channels == 1) {
                    yield this;
                }
                float[] gray = new float[plane];
                for (int i = 0; i < plane; i++) {
                    // ITU-R BT.601 luma, as OpenCV's cvtColor(RGB2GRAY)
                    gray[i] = 0.299f * values[3 * i] + 0.587f * values[3 * i + 1] + 0.114f * values[3 * i + 2];
                }
                yield new Pixels(gray, height, width, 1);
            }
        };
    }

    private Pixels replicate() {
        float[] rgb = new float[values.length * 3];
        for (int i = 0; i < values.length; i++) {
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = values[i];
        }
        return new Pixels(rgb, height, width, 3);
    }

    Pixels swapFirstAndThird() {
        float[] swapped = values.clone();
        for (int i = 0; i < swapped.length; i += channels) {
            swapped[i] = values[i + 2];
            swapped[i + 2] = values[i];
        }
        return new Pixels(swapped, height, width, channels);
    }

    /** Bilinear with half-pixel centers (as OpenCV's INTER_LINEAR, no antialiasing). */
    Pixels resize(int newWidth, int newHeight) {
        if (newWidth == width && newHeight == height) {
            return this;
        }
        float[] out = new float[newWidth * newHeight * channels];
        double scaleX = (double) width / newWidth;
        double scaleY = (double) height / newHeight;
        for (int y = 0; y < newHeight; y++) {
            double sy = Math.min(Math.max((y + 0.5) * scaleY - 0.5, 0), height - 1);
            int y0 = (int) sy;
            int y1 = Math.min(y0 + 1, height - 1);
            double fy = sy - y0;
            for (int x = 0; x < newWidth; x++) {
                double sx = Math.min(Math.max((x + 0.5) * scaleX - 0.5, 0), width - 1);
                int x0 = (int) sx;
                int x1 = Math.min(x0 + 1, width - 1);
                double fx = sx - x0;
                for (int c = 0; c < channels; c++) {
                    double top = at(y0, x0, c) * (1 - fx) + at(y0, x1, c) * fx;
                    double bottom = at(y1, x0, c) * (1 - fx) + at(y1, x1, c) * fx;
                    out[(y * newWidth + x) * channels + c] = (float) (top * (1 - fy) + bottom * fy);
                }
            }
        }
        return new Pixels(out, newHeight, newWidth, channels);
    }

    /** The centered window; the caller checks it fits. */
    Pixels centerCrop(int cropWidth, int cropHeight) {
        int top = (height - cropHeight) / 2;
        int left = (width - cropWidth) / 2;
        float[] out = new float[cropWidth * cropHeight * channels];
        for (int y = 0; y < cropHeight; y++) {
            System.arraycopy(values, ((top + y) * width + left) * channels, out, y * cropWidth * channels, cropWidth * channels);
        }
        return new Pixels(out, cropHeight, cropWidth, channels);
    }

    private float at(int y, int x, int c) {
        return values[(y * width + x) * channels + c];
    }
}
