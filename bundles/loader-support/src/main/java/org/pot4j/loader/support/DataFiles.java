package org.pot4j.loader.support;

import java.nio.file.Files;
import java.nio.file.Path;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.params.Parameters;

/** Resolves path parameters and fails with the field and the resolved path when they are unusable. */
public final class DataFiles {
    private DataFiles() {
    }

    public static Path requireFile(Parameters parameters, String key) {
        Path path = parameters.path(key);
        if (!Files.exists(path)) {
            throw new InvalidInputException(parameters.pathOf(key), path, "an existing file (not found)");
        }
        if (!Files.isRegularFile(path)) {
            throw new InvalidInputException(parameters.pathOf(key), path, "a regular file (this is not one)");
        }
        if (!Files.isReadable(path)) {
            throw new InvalidInputException(parameters.pathOf(key), path, "a readable file (permission denied)");
        }
        return path;
    }

    public static Path requireDirectory(Parameters parameters, String key) {
        Path path = parameters.path(key);
        if (!Files.isDirectory(path)) {
            throw new InvalidInputException(parameters.pathOf(key), path,
                    Files.exists(path) ? "a directory (this is a file)" : "an existing directory (not found)");
        }
        return path;
    }
}
