package org.pot4j.config.support;

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
 * absolute before sending; the server (Kafka requests, the console's submit form) checks them against its allowed
 * roots.
 */
public final class ConfigPaths {
    private static final Set<String> PATH_KEYS = Set.of("model", "weights", "images", "labels", "data_source",
            "annotation_file", "annotations", "path", "file", "dir", "directory", "root", "data", "source");

    private ConfigPaths() {
    }

    public static boolean isPathKey(String key) {
        String k = key.toLowerCase();
        return PATH_KEYS.contains(k) || k.endsWith("_path") || k.endsWith("_file") || k.endsWith("_dir")
                || k.endsWith("_directory");
    }

    /**
     * The key a map entry's value is judged by: inside an object under a path key (the npy loader's
     * {@code "data": {"input_ids": "ids.npy", ...}}) every value is a path, whatever its own key.
     */
    private static String childKey(String parent, Object key) {
        // the job's top-level sections (its "model" section) are not paths: their keys are judged by themselves
        return parent != null && !parent.startsWith(SECTION) && isPathKey(parent) ? parent : String.valueOf(key);
    }

    /** Marks the key of a top-level section, whose object is not a map of paths. */
    private static final String SECTION = "\u0000section:";

    private static String plain(String key) {
        return key.startsWith(SECTION) ? key.substring(SECTION.length()) : key;
    }

    private static String sectionKey(String parent, Object key) {
        return parent == null ? SECTION + key : childKey(parent, key);
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
            map.forEach((k, v) -> copy.put(String.valueOf(k), rewrite(v, sectionKey(key, k), base)));
            return copy;
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            for (Object item : list) {
                copy.add(rewrite(item, key, base));
            }
            return copy;
        }
        if (value instanceof String s && key != null && isPathKey(plain(key)) && !s.isBlank()) {
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
        collect(config, "", null, base, roots, false, found);
        return found;
    }

    /** Every path value of {@code config} (resolved against {@code base}) that lies in one of {@code folders}. */
    public static List<Violation> inside(Map<String, Object> config, Path base, List<Path> folders) {
        List<Violation> found = new ArrayList<>();
        collect(config, "", null, base, folders, true, found);
        return found;
    }

    private static void collect(Object value, String field, String key, Path base, List<Path> roots, boolean inside,
                                List<Violation> found) {
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> collect(v, field.isEmpty() ? String.valueOf(k) : field + "." + k, sectionKey(key, k),
                    base, roots, inside, found));
        } else if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                collect(list.get(i), field + "[" + i + "]", key, base, roots, inside, found);
            }
        } else if (value instanceof String s && key != null && isPathKey(plain(key)) && !s.isBlank()) {
            Path real = realPath(s, base);
            boolean within = real != null && withinRoots(real, roots);
            if (inside ? within || lexicallyWithin(s, base, roots) : !within) {
                found.add(new Violation(field, s, real));
            }
        }
    }

    /** The path as written (symlinks not followed) lies in one of {@code folders}. */
    private static boolean lexicallyWithin(String path, Path base, List<Path> folders) {
        try {
            Path resolved = base.resolve(path).toAbsolutePath().normalize();
            return folders.stream().anyMatch(resolved::startsWith);
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /** {@code path} (against {@code base}, symlinks followed or not) is one of {@code folders} or lies in one. */
    public static boolean inFolders(String path, Path base, List<Path> folders) {
        Path real = realPath(path, base);
        return (real != null && withinRoots(real, folders)) || lexicallyWithin(path, base, folders);
    }

    /**
     * How {@code folder} overlaps one of the server's {@code stateFolders} ("contains the server's state folder X",
     * "lies in the server's state folder X"), by their paths as written and as resolved; null when apart.
     */
    public static String overlap(Path folder, List<Path> stateFolders) {
        List<Path> forms = new ArrayList<>(List.of(folder));
        Path real = real(folder);
        if (real != null) {
            forms.add(real);
        }
        for (Path state : stateFolders) {
            List<Path> stateForms = new ArrayList<>(List.of(state));
            Path realState = real(state);
            if (realState != null) {
                stateForms.add(realState);
            }
            for (Path f : forms) {
                for (Path s : stateForms) {
                    if (f.startsWith(s)) {
                        return (f.equals(s) ? "is" : "lies in") + " the server's state folder " + state
                                + " (its broker log, framework cache, statistics cache, logs)";
                    }
                    if (s.startsWith(f)) {
                        return "contains the server's state folder " + state
                                + " (its broker log, framework cache, statistics cache, logs)";
                    }
                }
            }
        }
        return null;
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
