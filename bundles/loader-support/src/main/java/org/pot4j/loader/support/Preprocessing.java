package org.pot4j.loader.support;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;

/**
 * The {@code preprocessing} list of a dataset block, in the vocabulary of POT's accuracy checker:
 * {@code normalization} (mean/std, one value or one per channel), {@code scale} (value),
 * and for images {@code resize}, {@code crop}, {@code bgr_to_rgb}. Steps apply in list order.
 */
public final class Preprocessing {
    public static final String KEY = "preprocessing";
    public static final String NORMALIZATION = "normalization";
    public static final String SCALE = "scale";
    public static final String RESIZE = "resize";
    public static final String CROP = "crop";
    public static final String BGR_TO_RGB = "bgr_to_rgb";
    /** The types every loader supports: they change pixel values only, not the geometry. */
    public static final List<String> VALUE_TYPES = List.of(NORMALIZATION, SCALE);
    public static final List<String> IMAGE_TYPES = List.of(NORMALIZATION, SCALE, RESIZE, CROP, BGR_TO_RGB);

    public static final ParameterDescriptor DESCRIPTOR = ParameterDescriptor.optional(KEY, ParameterType.LIST, null,
            "list of steps applied in order, e.g. [{\"type\": \"normalization\", \"mean\": 72.93, \"std\": 90.015}]");

    private final List<PreprocessingStep> steps;

    private Preprocessing(List<PreprocessingStep> steps) {
        this.steps = List.copyOf(steps);
    }

    public static Preprocessing none() {
        return new Preprocessing(List.of());
    }

    /** Parses and checks the list; types outside {@code supportedTypes} are an error naming the step. */
    public static Preprocessing parse(Parameters parameters, List<String> supportedTypes) {
        List<PreprocessingStep> steps = new ArrayList<>();
        for (Parameters step : parameters.objectList(KEY)) {
            steps.add(parseStep(step, supportedTypes));
        }
        return new Preprocessing(steps);
    }

    public List<PreprocessingStep> steps() {
        return steps;
    }

    public String canonical() {
        return steps.stream().map(PreprocessingStep::canonical).collect(Collectors.joining(";", "[", "]"));
    }

    /** Checks per-channel mean/std lists against the data's channel count. */
    public void checkChannels(int channels) {
        for (PreprocessingStep step : steps) {
            if (step instanceof PreprocessingStep.Normalization n) {
                checkLength(n.field() + ".mean", n.mean(), channels);
                checkLength(n.field() + ".std", n.std(), channels);
            }
        }
    }

    /** Applies every step; only for loaders whose steps are all value steps. */
    public void applyValues(float[] data, int channels, boolean channelsLast) {
        for (PreprocessingStep step : steps) {
            applyValue(step, data, channels, channelsLast);
        }
    }

    /**
     * Applies a normalization or scale step in place. A sample of {@code data.length / channels}
     * elements per channel; channels interleaved (last axis) or planar (first axis). Non-finite
     * results are an error naming the step's std (or value) field.
     */
    public static void applyValue(PreprocessingStep step, float[] data, int channels, boolean channelsLast) {
        if (step instanceof PreprocessingStep.Normalization n) {
            checkLength(n.field() + ".mean", n.mean(), channels);
            checkLength(n.field() + ".std", n.std(), channels);
            int plane = data.length / channels;
            for (int i = 0; i < data.length; i++) {
                int c = channels == 1 ? 0 : channelsLast ? i % channels : i / plane;
                double mean = n.mean().length == 1 ? n.mean()[0] : n.mean()[c];
                double std = n.std().length == 1 ? n.std()[0] : n.std()[c];
                float value = (float) ((data[i] - mean) / std);
                if (!Float.isFinite(value)) {
                    throw new InvalidInputException(n.field() + ".std", std, "normalization gives a non-finite value ("
                            + value + ") at element " + i + " from input " + data[i] + " with mean " + mean
                            + "; std must be a non-zero number of the data's scale");
                }
                data[i] = value;
            }
        } else if (step instanceof PreprocessingStep.Scale s) {
            for (int i = 0; i < data.length; i++) {
                float value = (float) (data[i] * s.value());
                if (!Float.isFinite(value)) {
                    throw new InvalidInputException(s.field() + ".value", s.value(), "scaling gives a non-finite value at element " + i);
                }
                data[i] = value;
            }
        } else {
            throw new IllegalStateException(step.canonical() + " is not a value step");
        }
    }

    private static void checkLength(String field, double[] values, int channels) {
        if (values.length != 1 && values.length != channels) {
            throw new InvalidInputException(field, java.util.Arrays.toString(values),
                    "one value or one per channel (" + channels + ")");
        }
    }

    private static PreprocessingStep parseStep(Parameters step, List<String> supportedTypes) {
        String type = step.string("type");
        if (!supportedTypes.contains(type)) {
            throw new InvalidInputException(step.pathOf("type"), type, "allowed: " + String.join(", ", supportedTypes)
                    + Parameters.nearest(type, supportedTypes).map(s -> " (did you mean '" + s + "'?)").orElse(""));
        }
        ParameterDescriptor typeDescriptor = ParameterDescriptor.required("type", ParameterType.STRING, "step type");
        String field = step.path();
        switch (type) {
            case NORMALIZATION -> {
                Parameters p = step.validate(List.of(typeDescriptor,
                        ParameterDescriptor.optional("mean", ParameterType.ANY, null, "number or one number per channel"),
                        ParameterDescriptor.optional("std", ParameterType.ANY, null, "non-zero number or one per channel")));
                if (!p.has("mean") && !p.has("std")) {
                    throw new InvalidInputException(step.pathOf("mean"), null, "normalization needs mean and/or std");
                }
                double[] mean = p.has("mean") ? numbers(p, "mean") : new double[] {0};
                double[] std = p.has("std") ? numbers(p, "std") : new double[] {1};
                for (double s : std) {
                    if (s == 0) {
                        throw new InvalidInputException(step.pathOf("std"), p.raw("std"), "non-zero numbers (division by std)");
                    }
                }
                return new PreprocessingStep.Normalization(field, mean, std);
            }
            case SCALE -> {
                Parameters p = step.validate(List.of(typeDescriptor,
                        ParameterDescriptor.required("value", ParameterType.NUMBER, "factor, e.g. 0.00392156862745098 (1/255)")));
                double value = p.number("value");
                if (value == 0) {
                    throw new InvalidInputException(step.pathOf("value"), value, "a non-zero factor");
                }
                return new PreprocessingStep.Scale(field, value);
            }
            case RESIZE, CROP -> {
                Parameters p = step.validate(List.of(typeDescriptor,
                        ParameterDescriptor.bounded("size", ParameterType.INTEGER, null, 1.0, 65536.0, "square side"),
                        ParameterDescriptor.bounded("dst_width", ParameterType.INTEGER, null, 1.0, 65536.0, "width"),
                        ParameterDescriptor.bounded("dst_height", ParameterType.INTEGER, null, 1.0, 65536.0, "height")));
                int width;
                int height;
                if (p.has("size")) {
                    if (p.has("dst_width") || p.has("dst_height")) {
                        throw new InvalidInputException(step.pathOf("size"), p.raw("size"), "either size or dst_width/dst_height, not both");
                    }
                    width = height = (int) p.integer("size");
                } else if (p.has("dst_width") && p.has("dst_height")) {
                    width = (int) p.integer("dst_width");
                    height = (int) p.integer("dst_height");
                } else {
                    throw new InvalidInputException(step.pathOf("size"), null, "size, or both dst_width and dst_height");
                }
                return type.equals(RESIZE) ? new PreprocessingStep.Resize(field, width, height)
                        : new PreprocessingStep.Crop(field, width, height);
            }
            case BGR_TO_RGB -> {
                step.validate(List.of(typeDescriptor));
                return new PreprocessingStep.BgrToRgb(field);
            }
            default -> throw new IllegalStateException(type);
        }
    }

    private static double[] numbers(Parameters p, String key) {
        Object raw = p.raw(key);
        if (raw instanceof Number) {
            return new double[] {p.number(key)};
        }
        if (raw instanceof List<?> list && !list.isEmpty()) {
            double[] result = new double[list.size()];
            for (int i = 0; i < list.size(); i++) {
                if (!(list.get(i) instanceof Number n) || !Double.isFinite(n.doubleValue())) {
                    throw new InvalidInputException(p.pathOf(key) + "[" + i + "]", list.get(i), "a finite number");
                }
                result[i] = n.doubleValue();
            }
            return result;
        }
        throw new InvalidInputException(p.pathOf(key), raw, "a number or a non-empty list of numbers (one per channel)");
    }
}
