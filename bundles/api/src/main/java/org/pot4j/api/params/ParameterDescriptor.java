package org.pot4j.api.params;

import java.util.List;

/**
 * One declared parameter of a plugin: name, type, default (null: none), allowed values (empty:
 * any), numeric bounds (null: unbounded), whether it must be given, and a one-line description.
 */
public record ParameterDescriptor(String name, ParameterType type, Object defaultValue, List<String> allowedValues,
                                  Double min, Double max, boolean required, String description) {

    public ParameterDescriptor {
        allowedValues = allowedValues == null ? List.of() : List.copyOf(allowedValues);
    }

    public static ParameterDescriptor optional(String name, ParameterType type, Object defaultValue, String description) {
        return new ParameterDescriptor(name, type, defaultValue, List.of(), null, null, false, description);
    }

    public static ParameterDescriptor required(String name, ParameterType type, String description) {
        return new ParameterDescriptor(name, type, null, List.of(), null, null, true, description);
    }

    public static ParameterDescriptor choice(String name, String defaultValue, List<String> allowed, String description) {
        return new ParameterDescriptor(name, ParameterType.STRING, defaultValue, allowed, null, null, false, description);
    }

    public static ParameterDescriptor bounded(String name, ParameterType type, Object defaultValue, Double min,
                                              Double max, String description) {
        return new ParameterDescriptor(name, type, defaultValue, List.of(), min, max, false, description);
    }
}
