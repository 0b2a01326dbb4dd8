package org.pot4j.loader.idx.internal;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates files of the shared data folder beside the checkout (/work/shared/data). */
final class SharedData {
    private SharedData() {
    }

    static Path file(String name) {
        Path path = Path.of(System.getProperty("user.dir")).resolve("../../../shared/data").resolve(name).normalize();
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException("shared data file missing: " + path
                    + " (expected the shared/ folder beside the checkout, see BRIEF)");
        }
        return path;
    }
}
