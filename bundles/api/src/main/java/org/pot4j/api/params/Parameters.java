package org.pot4j.api.params;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.pot4j.api.InvalidInputException;

/**
 * A JSON object of parameters (values are String, Boolean, Number, List, Map or null) with the
 * path it came from (for error messages, e.g. {@code compression.algorithms[0].params}) and the
 * folder relative paths resolve against. Typed getters raise {@link InvalidInputException}
 * naming the full path, the value and what is allowed.
 */
public final class Parameters {
    private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    private final Map<String, Object> values;
    private final String path;
    private final Path baseDirectory;

    public Parameters(Map<String, ?> values, String path, Path baseDirectory) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values == null ? Map.of() : values));
        this.path = path == null ? "" : path;
        this.baseDirectory = baseDirectory;
    }

    public static Parameters empty(String path) {
        return new Parameters(Map.of(), path, null);
    }

    public Map<String, Object> asMap() {
        return values;
    }

    public String path() {
        return path;
    }

    public Path baseDirectory() {
        return baseDirectory;
    }

    /** The path of a key below this object, e.g. {@code engine.dataset.images}. */
    public String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public boolean has(String key) {
        return values.containsKey(key) && values.get(key) != null;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public Object raw(String key) {
        return values.get(key);
    }

    public String string(String key) {
        Object value = require(key);
        if (!(value instanceof String text)) {
            throw new InvalidInputException(pathOf(key), value, "expected a string");
        }
        return text;
    }

    public String string(String key, String defaultValue) {
        return has(key) ? string(key) : defaultValue;
    }

    /**
     * A whole number. A fraction, or a number beyond a long (e.g. 1e30, or a JSON integer Jackson
     * reads as BigInteger), is an error echoing the number as written, never a clamped or wrapped one.
     */
    public long integer(String key) {
        Object value = require(key);
        BigDecimal exact = exact(value);
        if (exact == null || (exact.signum() != 0 && exact.stripTrailingZeros().scale() > 0)) {
            throw new InvalidInputException(pathOf(key), value, "expected a whole number");
        }
        if (exact.compareTo(LONG_MIN) < 0 || exact.compareTo(LONG_MAX) > 0) {
            throw new InvalidInputException(pathOf(key), value, "expected a whole number from " + Long.MIN_VALUE
                    + " to " + Long.MAX_VALUE);
        }
        return exact.longValueExact();
    }

    /** The exact value of a finite number (null: not a number, NaN or infinite). */
    private static BigDecimal exact(Object value) {
        if (value instanceof BigDecimal decimal) {
            return decimal;
        }
        if (value instanceof BigInteger big) {
            return new BigDecimal(big);
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return BigDecimal.valueOf(((Number) value).longValue());
        }
        if (value instanceof Number number && Double.isFinite(number.doubleValue())) {
            return new BigDecimal(number.doubleValue());
        }
        return null;
    }

    public long integer(String key, long defaultValue) {
        return has(key) ? integer(key) : defaultValue;
    }

    public double number(String key) {
        Object value = require(key);
        if (value instanceof Number number && Double.isFinite(number.doubleValue())) {
            return number.doubleValue();
        }
        throw new InvalidInputException(pathOf(key), value, "expected a finite number");
    }

    public double number(String key, double defaultValue) {
        return has(key) ? number(key) : defaultValue;
    }

    public boolean bool(String key) {
        Object value = require(key);
        if (value instanceof Boolean flag) {
            return flag;
        }
        throw new InvalidInputException(pathOf(key), value, "expected true or false");
    }

    public boolean bool(String key, boolean defaultValue) {
        return has(key) ? bool(key) : defaultValue;
    }

    /**
     * A path value resolved against {@link #baseDirectory()} when relative. An empty value is bad input saying so (it
     * resolved to the base directory, reported as "is a directory").
     */
    public Path path(String key) {
        String value = string(key);
        if (value.isBlank()) {
            throw new InvalidInputException(pathOf(key), value, "the path is empty: give the file or folder");
        }
        Path raw;
        try {
            raw = Path.of(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw new InvalidInputException(pathOf(key), value, "a valid path (" + e.getReason() + ")");
        }
        return raw.isAbsolute() || baseDirectory == null ? raw.normalize() : baseDirectory.resolve(raw).normalize();
    }

    /** A nested object as parameters with the nested path. */
    public Parameters object(String key) {
        Object value = require(key);
        if (value instanceof Map<?, ?> map) {
            return new Parameters(stringKeys(map, pathOf(key)), pathOf(key), baseDirectory);
        }
        throw new InvalidInputException(pathOf(key), value, "expected an object");
    }

    public Optional<Parameters> optionalObject(String key) {
        return has(key) ? Optional.of(object(key)) : Optional.empty();
    }

    /** A list; its object elements become parameters with paths {@code key[i]}. */
    public List<Object> list(String key) {
        Object value = require(key);
        if (value instanceof List<?> list) {
            return Collections.unmodifiableList(new ArrayList<>(list));
        }
        throw new InvalidInputException(pathOf(key), value, "expected a list");
    }

    public List<Parameters> objectList(String key) {
        List<Parameters> result = new ArrayList<>();
        List<Object> list = has(key) ? list(key) : List.of();
        for (int i = 0; i < list.size(); i++) {
            String elementPath = pathOf(key) + "[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> map)) {
                throw new InvalidInputException(elementPath, list.get(i), "expected an object");
            }
            result.add(new Parameters(stringKeys(map, elementPath), elementPath, baseDirectory));
        }
        return result;
    }

    public List<String> stringList(String key) {
        List<String> result = new ArrayList<>();
        List<Object> list = has(key) ? list(key) : List.of();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String text)) {
                throw new InvalidInputException(pathOf(key) + "[" + i + "]", list.get(i), "expected a string");
            }
            result.add(text);
        }
        return result;
    }

    /** A copy with one value replaced or added. */
    public Parameters with(String key, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(values);
        copy.put(key, value);
        return new Parameters(copy, path, baseDirectory);
    }

    /**
     * Checks these parameters against declared ones and returns a copy with defaults filled in:
     * unknown keys (with the nearest declared name), missing required ones, wrong types, values
     * outside the allowed set or bounds are each an {@link InvalidInputException}.
     */
    public Parameters validate(List<ParameterDescriptor> descriptors) {
        Map<String, ParameterDescriptor> byName = new LinkedHashMap<>();
        descriptors.forEach(d -> byName.put(d.name(), d));
        for (String key : values.keySet()) {
            if (!byName.containsKey(key)) {
                throw new InvalidInputException(pathOf(key), key,
                        unknownKeyHint(key, byName.keySet()));
            }
        }
        Map<String, Object> result = new LinkedHashMap<>(values);
        for (ParameterDescriptor descriptor : descriptors) {
            String key = descriptor.name();
            if (!has(key)) {
                if (descriptor.required()) {
                    throw new InvalidInputException(pathOf(key), null, "required: " + describe(descriptor));
                }
                if (descriptor.defaultValue() != null) {
                    result.put(key, descriptor.defaultValue());
                }
                continue;
            }
            checkValue(descriptor, values.get(key));
        }
        return new Parameters(result, path, baseDirectory);
    }

    private void checkValue(ParameterDescriptor descriptor, Object value) {
        String key = descriptor.name();
        if (value instanceof Number) {
            // before the type check, so that 1e30 for a bounded integer names the bound
            checkBounds(descriptor, value);
        }
        switch (descriptor.type()) {
            case STRING, PATH -> string(key);
            case INTEGER -> integer(key);
            case NUMBER -> number(key);
            case BOOLEAN -> bool(key);
            case OBJECT -> object(key);
            case LIST -> list(key);
            case ANY -> { }
        }
        if (!descriptor.allowedValues().isEmpty() && !descriptor.allowedValues().contains(String.valueOf(value))) {
            throw new InvalidInputException(pathOf(key), value, "allowed: " + String.join(", ", descriptor.allowedValues())
                    + nearest(String.valueOf(value), descriptor.allowedValues()).map(s -> " (did you mean '" + s + "'?)").orElse(""));
        }
    }

    /** Compares exactly (a long or BigInteger beyond double precision is not rounded into range). */
    private void checkBounds(ParameterDescriptor descriptor, Object value) {
        BigDecimal v = exact(value);
        if (v == null) {
            return; // NaN or infinite: the type check rejects it
        }
        BigDecimal min = exact(descriptor.min()); // null (or infinite): unbounded
        BigDecimal max = exact(descriptor.max());
        if ((min != null && v.compareTo(min) < 0) || (max != null && v.compareTo(max) > 0)) {
            throw new InvalidInputException(pathOf(descriptor.name()), value, "allowed range: " + bound(descriptor.min())
                    + " .. " + bound(descriptor.max()));
        }
    }

    private static String bound(Double value) {
        if (value == null || value.isInfinite()) {
            return "unbounded";
        }
        return value == Math.rint(value) && Math.abs(value) < 0x1p63 ? String.valueOf(value.longValue())
                : String.valueOf(value);
    }

    private static String describe(ParameterDescriptor descriptor) {
        return descriptor.type().name().toLowerCase()
                + (descriptor.description() == null ? "" : " (" + descriptor.description() + ")");
    }

    /** "unknown key; allowed: a, b, c (did you mean 'b'?)". */
    public static String unknownKeyHint(String key, java.util.Collection<String> allowed) {
        return "unknown key; allowed: " + String.join(", ", allowed)
                + nearest(key, allowed).map(s -> " (did you mean '" + s + "'?)").orElse("");
    }

    /** The closest candidate by edit distance, when close enough to be a typo. */
    public static Optional<String> nearest(String value, java.util.Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int distance = editDistance(value.toLowerCase(), candidate.toLowerCase());
            if (distance < bestDistance) {
                bestDistance = distance;
                best = candidate;
            }
        }
        return best != null && bestDistance <= Math.max(2, best.length() / 3) ? Optional.of(best) : Optional.empty();
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    private Object require(String key) {
        Object value = values.get(key);
        if (value == null) {
            throw new InvalidInputException(pathOf(key), null, "a value is required");
        }
        return value;
    }

    private static Map<String, Object> stringKeys(Map<?, ?> map, String where) {
        Map<String, Object> result = new LinkedHashMap<>();
        map.forEach((k, v) -> result.put(String.valueOf(k), v));
        return result;
    }

    @Override
    public String toString() {
        return path + "=" + values.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
                .collect(Collectors.joining(", ", "{", "}"));
    }
}
