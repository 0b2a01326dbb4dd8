package org.pot4j.backend.onnxruntime.internal;

import ai.onnxruntime.OrtEnvironment;
import org.pot4j.api.Pot4jException;

/** The process-wide ONNX Runtime environment, created (and its natives loaded) on first use. */
final class OrtRuntime {
    private static volatile OrtEnvironment environment;

    private OrtRuntime() {
    }

    static OrtEnvironment environment() {
        OrtEnvironment current = environment;
        if (current == null) {
            synchronized (OrtRuntime.class) {
                current = environment;
                if (current == null) {
                    try {
                        // ORT extracts its natives via OnnxRuntime.class.getResourceAsStream: in OSGi
                        // that is this bundle's class loader, which holds ai/onnxruntime/native/linux-x64.
                        current = OrtEnvironment.getEnvironment();
                    } catch (RuntimeException | LinkageError e) {
                        throw new Pot4jException("BACKEND_ERROR", "ONNX Runtime native library could not be loaded on "
                                + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
                                + " (this bundle ships linux-x64 natives only): " + e, e);
                    }
                    environment = current;
                }
            }
        }
        return current;
    }
}
