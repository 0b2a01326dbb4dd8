package org.pot4j.loader.support;

/**
 * One entry of a dataset's {@code preprocessing} list. {@link #field()} is its path in the job
 * (e.g. {@code engine.dataset.preprocessing[0]}) so that errors found while applying it can name it.
 */
public sealed interface PreprocessingStep {

    String field();

    /** A canonical text of the step and its parameters, for dataset identities. */
    String canonical();

    /** {@code (x - mean[c]) / std[c]}, on pixel values as they are at this point of the list. */
    record Normalization(String field, double[] mean, double[] std) implements PreprocessingStep {
        public String canonical() {
            return "normalization(mean=" + java.util.Arrays.toString(mean) + ",std=" + java.util.Arrays.toString(std) + ")";
        }
    }

    /** {@code x * value}, e.g. 1/255 to bring 0..255 pixels into 0..1. */
    record Scale(String field, double value) implements PreprocessingStep {
        public String canonical() {
            return "scale(" + value + ")";
        }
    }

    /** Bilinear resize to width x height (images only). */
    record Resize(String field, int width, int height) implements PreprocessingStep {
        public String canonical() {
            return "resize(" + width + "x" + height + ")";
        }
    }

    /** Center crop to width x height (images only). */
    record Crop(String field, int width, int height) implements PreprocessingStep {
        public String canonical() {
            return "crop(" + width + "x" + height + ")";
        }
    }

    /** Swaps the first and third channel (images only). */
    record BgrToRgb(String field) implements PreprocessingStep {
        public String canonical() {
            return "bgr_to_rgb";
        }
    }
}
