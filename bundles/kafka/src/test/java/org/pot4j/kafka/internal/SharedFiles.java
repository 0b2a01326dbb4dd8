package org.pot4j.kafka.internal;

import java.nio.file.Files;
import java.nio.file.Path;

/** The team's shared models and the repository's examples, located from the module directory. */
final class SharedFiles {
    private SharedFiles() {
    }

    static Path model(String name) {
        return existing(Path.of(System.getProperty("user.dir")).resolve("../../../shared/models").resolve(name));
    }

    static Path example(String relative) {
        return existing(Path.of(System.getProperty("user.dir")).resolve("../../examples").resolve(relative));
    }

    private static Path existing(Path path) {
        Path normalized = path.toAbsolutePath().normalize();
        if (!Files.exists(normalized)) {
            throw new IllegalStateException("missing test file " + normalized
                    + " (shared/ must sit beside the main checkout; examples/ is in the repository)");
        }
        return normalized;
    }
}
