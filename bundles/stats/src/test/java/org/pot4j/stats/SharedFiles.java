package org.pot4j.stats;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Locates the shared models and data beside the repository (../shared from the checkout root). */
final class SharedFiles {

    private SharedFiles() {
    }

    /** From the module directory (tests) or the checkout root (exec:java from the root); -Dpot4j.shared overrides. */
    static Path shared(String relative) {
        Path here = Path.of(System.getProperty("user.dir"));
        String override = System.getProperty("pot4j.shared");
        List<Path> candidates = override != null ? List.of(Path.of(override))
                : List.of(here.resolve("../../../shared"), here.resolve("../shared"));
        for (Path base : candidates) {
            Path path = base.resolve(relative).normalize();
            if (Files.isRegularFile(path)) {
                return path;
            }
        }
        throw new IllegalStateException("shared file " + relative + " not found under " + candidates
                + " (expected the shared folder beside the checkout, or -Dpot4j.shared=DIR)");
    }

    static Path model(String name) {
        return shared("models/" + name);
    }
}
