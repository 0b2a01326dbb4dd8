package org.pot4j.backend.onnxruntime.internal;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.pot4j.api.tensor.Tensor;

/** The shared models and Fashion-MNIST data beside the checkout (../shared). */
final class SharedFiles {
    static final float MEAN = 0.286f;
    static final float STD = 0.353f;

    private SharedFiles() {
    }

    static Path shared(String relative) {
        Path path = Path.of(System.getProperty("user.dir")).resolve("../../../shared").resolve(relative).normalize();
        if (!Files.isRegularFile(path)) {
            fail("shared test file missing: " + path + " (expected /work/shared beside the checkout)");
        }
        return path;
    }

    static byte[] model(String name) throws IOException {
        return Files.readAllBytes(shared("models/" + name + ".onnx"));
    }

    static JsonNode modelsJson() throws IOException {
        return new ObjectMapper().readTree(shared("models/models.json").toFile());
    }

    /** The first {@code count} t10k images as a normalized [count, 1, 28, 28] FLOAT tensor. */
    static Tensor testImages(int first, int count) throws IOException {
        try (InputStream raw = Files.newInputStream(shared("data/t10k-images-idx3-ubyte.gz"));
             DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            int magic = in.readInt();
            if (magic != 0x00000803) {
                fail("not an IDX image file, magic " + Integer.toHexString(magic));
            }
            int total = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            if (first + count > total) {
                fail("asked for images " + first + ".." + (first + count) + " of " + total);
            }
            int pixels = rows * cols;
            in.skipNBytes((long) first * pixels);
            byte[] bytes = new byte[count * pixels];
            in.readFully(bytes);
            float[] data = new float[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                data[i] = ((bytes[i] & 0xFF) / 255f - MEAN) / STD;
            }
            return Tensor.ofFloats(new long[] {count, 1, rows, cols}, data);
        }
    }
}
