package org.pot4j.stats;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared models and data beside the repository (../shared from the checkout root). */
final class SharedFiles {

    private SharedFiles() {
    }

    static Path shared(String relative) {
        Path path = Path.of(System.getProperty("user.dir")).resolve("../../../shared").resolve(relative).normalize();
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException("shared file " + relative + " not found at " + path
                    + " (expected /work/shared beside the checkout; run from the module directory)");
        }
        return path;
    }

    static Path model(String name) {
        return shared("models/" + name);
    }
}
