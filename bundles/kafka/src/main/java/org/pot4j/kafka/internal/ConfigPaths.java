package org.pot4j.kafka.internal;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The file paths inside a POT-style configuration: string values under path-like keys (model,
 * weights, images, labels, data_source, ..._path, ..._file, ..._dir). The client makes them
 * absolute before sending; the server checks them against its allowed roots.
 */
public final class ConfigPaths {
    private static final Set<String> PATH_KEYS = Set.of("model", "weights", "images", "labels", "data_source",
            "annotation_file", "annotations", "path", "file", "dir", "directory", "root", "data", "source");

    private ConfigPaths() {
    }

    static boolean isPathKey(String key) {
        String k = key.toLowerCase();
        return PATH_KEYS.contains(k) || k.endsWith("_path") || k.endsWith("_file") || k.endsWith("_dir")
                || k.endsWith("_directory");
    }

    /** A copy of {@code config} with every relative path resolved against {@code base}. */
    public static Map<String, Object> absolutize(Map<String, Object> config, Path base) {
        return castMap(rewrite(config, null, base));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object value) {
        return (Map<String, Object>) value;
    }

    private static Object rewrite(Object value, String key, Path base) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(String.valueOf(k), rewrite(v, String.valueOf(k), base)));
            return copy;
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            for (Object item : list) {
                copy.add(rewrite(item, key, base));
            }
            return copy;
        }
        if (value instanceof String s && key != null && isPathKey(key) && !s.isBlank()) {
            try {
                return base.resolve(s).toAbsolutePath().normalize().toString();
            } catch (InvalidPathException e) {
                return s;
            }
        }
        return value;
    }

    /** A path value that names a place outside the roots; {@code realPath} is where it leads (symlinks followed). */
    public record Violation(String field, String value, Path realPath) {
    }

    /** Every path value of {@code config} (resolved against {@code base}) that lies outside all {@code roots}. */
    public static List<Violation> outside(Map<String, Object> config, Path base, List<Path> roots) {
        List<Violation> found = new ArrayList<>();
        collect(config, "", null, base, roots, found);
        return found;
    }

    private static void collect(Object value, String field, String key, Path base, List<Path> roots,
                                List<Violation> found) {
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> collect(v, field.isEmpty() ? String.valueOf(k) : field + "." + k, String.valueOf(k),
                    base, roots, found));
        } else if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                collect(list.get(i), field + "[" + i + "]", key, base, roots, found);
            }
        } else if (value instanceof String s && key != null && isPathKey(key) && !s.isBlank()) {
            Path real = realPath(s, base);
            if (real == null || !withinRoots(real, roots)) {
                found.add(new Violation(field, s, real));
            }
        }
    }

    public static boolean within(String path, Path base, List<Path> roots) {
        Path real = realPath(path, base);
        return real != null && withinRoots(real, roots);
    }

    /**
     * Where {@code path} (against {@code base}) really leads: symlinks resolved for the part that exists (the
     * whole path, or its nearest existing parent, the rest appended: an output folder not made yet), so that
     * a link inside a root pointing outside it is seen as outside. Null for no valid path.
     */
    public static Path realPath(String path, Path base) {
        Path resolved;
        try {
            resolved = base.resolve(path).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            return null;
        }
        return real(resolved);
    }

    private static Path real(Path absolute) {
        Path existing = absolute;
        while (existing != null && !java.nio.file.Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(absolute)).normalize();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** Roots compare by their real paths too (a root may itself be a link, e.g. to a data disk). */
    private static boolean withinRoots(Path real, List<Path> roots) {
        return roots.stream().anyMatch(root -> real.startsWith(root) || real.startsWith(real(root)));
    }
}
