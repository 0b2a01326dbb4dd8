package org.pot4j.console.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Which file a download URL may name: one under the job's output folder, by a relative path of plain segments,
 * that is still under it after symbolic links are resolved. Anything else is refused, never normalised into place.
 */
final class OutputFiles {
    private OutputFiles() {
    }

    /**
     * The file {@code relative} (already URL-decoded by the container) names under {@code folder}, or empty when it
     * names nothing there: a {@code ..}, {@code .} or empty segment, a backslash, a NUL, an absolute path, a folder,
     * or a link leading out.
     */
    static Optional<Path> resolve(Path folder, String relative) {
        if (folder == null || relative == null || relative.isEmpty() || relative.startsWith("/")
                || relative.indexOf('\\') >= 0 || relative.indexOf('\0') >= 0 || relative.indexOf(':') >= 0) {
            return Optional.empty();
        }
        for (String segment : relative.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.contains("%")) {
                return Optional.empty();
            }
        }
        try {
            Path root = folder.toRealPath();
            Path file = root.resolve(relative).normalize();
            if (!file.startsWith(root) || !Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            Path real = file.toRealPath();
            return real.startsWith(root) && Files.isRegularFile(real) ? Optional.of(real) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The files of {@code folder} as relative paths with {@code /}, sorted; empty when there is no folder. */
    static List<String> list(Path folder) {
        if (folder == null || !Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(folder, 3)) {
            return files.filter(Files::isRegularFile).map(f -> folder.relativize(f).toString().replace('\\', '/'))
                    .sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
