package org.pot4j.backend.onnxruntime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.annotation.Annotation;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.backend.SessionOptions.OptimizationLevel;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.testsupport.TestFiles;

class OnnxRuntimeBackendConfigTest {

    private static OnnxRuntimeBackendConfig config(int threads, OptimizationLevel level) {
        return new OnnxRuntimeBackendConfig() {
            @Override public int defaultIntraOpThreads() { return threads; }
            @Override public OptimizationLevel defaultOptimizationLevel() { return level; }
            @Override public Class<? extends Annotation> annotationType() { return OnnxRuntimeBackendConfig.class; }
        };
    }

    @Test
    void configuredBackendOpensWithItsDefaultsWhenOptionsAreMissing() throws Exception {
        OnnxRuntimeBackend backend = new OnnxRuntimeBackend(config(1, OptimizationLevel.BASIC), java.util.Map.of());
        try (InferenceSession session = backend.open(TestFiles.modelBytes("cnn_relu"), null)) {
            assertEquals(List.of("logits"), session.outputNames());
            assertEquals(10, session.run(Map.of("input", TestFiles.testBatch(0, 1, Tensor::ofFloats)), List.of()).get("logits").size());
        }
    }

    @Test
    void negativeThreadCountsAreRejectedWithTheirField() {
        assertEquals(OnnxRuntimeBackend.PID + ".defaultIntraOpThreads", assertThrows(InvalidInputException.class,
                () -> new OnnxRuntimeBackend(config(-2, OptimizationLevel.ALL), java.util.Map.of())).field());
        OnnxRuntimeBackend backend = new OnnxRuntimeBackend();
        SessionOptions negative = new SessionOptions(-1, 0, OptimizationLevel.ALL, Set.of(), null);
        assertEquals("session.threads", assertThrows(InvalidInputException.class,
                () -> backend.open(TestFiles.modelBytes("cnn_relu"), negative)).field());
    }

    @Test
    void unknownConfiguredOptimizationLevelNamesTheSetting() {
        OnnxRuntimeBackendConfig bad = new OnnxRuntimeBackendConfig() {
            @Override public int defaultIntraOpThreads() { return 0; }
            @Override public OptimizationLevel defaultOptimizationLevel() {
                return OptimizationLevel.valueOf("FAST"); // what DS does with a configured "FAST"
            }
            @Override public Class<? extends Annotation> annotationType() { return OnnxRuntimeBackendConfig.class; }
        };
        InvalidInputException error = assertThrows(InvalidInputException.class, () -> new OnnxRuntimeBackend(bad, java.util.Map.of()));
        assertEquals(OnnxRuntimeBackend.PID + ".defaultOptimizationLevel", error.field());
    }
}
