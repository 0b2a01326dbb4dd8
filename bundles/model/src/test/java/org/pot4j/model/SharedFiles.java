package org.pot4j.model;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Locates the shared models and data beside the repository (module dir is main/bundles/model). */
final class SharedFiles {
    static final List<String> MODELS = List.of("cnn_relu", "cnn_relu_outlier", "mobilenet_v2_tiny");

    private SharedFiles() {
    }

    static Path shared(String relative) {
        Path path = Path.of(System.getProperty("user.dir")).resolve("../../../shared").resolve(relative).normalize();
        if (!Files.isRegularFile(path)) {
            fail("shared file missing: " + path + " (clone the shared/ folder beside the repository)");
        }
        return path;
    }

    static Path model(String name) {
        return shared("models/" + name + ".onnx");
    }

    static Path testImages() {
        return shared("data/t10k-images-idx3-ubyte.gz");
    }
}
