package org.pot4j.algorithm.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared models and data beside the checkout (../shared from the repository root). */
public final class SharedFiles {
    private SharedFiles() {
    }

    /** {@code relative} below /work/shared (e.g. "models/cnn_relu.onnx"), or a clear failure. */
    public static Path resolve(String relative) {
        Path moduleDir = Path.of(System.getProperty("user.dir"));
        Path file = moduleDir.resolve("../../../shared").resolve(relative).normalize();
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("shared file " + relative + " not found at " + file
                    + " (tests expect the shared/ folder beside the repository checkout)");
        }
        return file;
    }

    public static Path model(String name) {
        return resolve("models/" + name + ".onnx");
    }
}
