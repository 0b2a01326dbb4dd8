package org.pot4j.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OutputFilesTest {
    @TempDir
    Path dir;
    Path job;

    @BeforeEach
    void layout() throws IOException {
        job = Files.createDirectories(dir.resolve("outputs/cnn_relu"));
        Files.createDirectories(job.resolve("optimized"));
        Files.writeString(job.resolve("optimized/cnn_relu.onnx"), "model");
        Files.writeString(job.resolve("report.json"), "{}");
        Files.writeString(dir.resolve("secret.cfg"), "token = x");
        Files.createDirectories(dir.resolve("outputs/cnn_relu_other"));
        Files.writeString(dir.resolve("outputs/cnn_relu_other/report.json"), "{}");
    }

    @Test
    void filesOfTheJobFolderResolve() throws IOException {
        assertEquals(job.resolve("optimized/cnn_relu.onnx").toRealPath(),
                OutputFiles.resolve(job, "optimized/cnn_relu.onnx").orElseThrow());
        assertEquals(List.of("optimized/cnn_relu.onnx", "report.json"), OutputFiles.list(job));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../secret.cfg", "optimized/../../../secret.cfg", "..", ".", "", "/etc/passwd",
            "optimized", "optimized//cnn_relu.onnx", "./report.json", "..\\..\\secret.cfg", "%2e%2e/%2e%2e/secret.cfg",
            "%252e%252e/secret.cfg", "../cnn_relu_other/report.json", "report.json\0.onnx", "C:/secret.cfg",
            "missing.onnx"})
    void anythingElseIsRefused(String relative) {
        assertTrue(OutputFiles.resolve(job, relative).isEmpty(), relative);
    }

    @Test
    void aLinkLeadingOutIsRefused() throws IOException {
        Files.createSymbolicLink(job.resolve("link.cfg"), dir.resolve("secret.cfg"));
        Files.createSymbolicLink(job.resolve("up"), dir);
        assertTrue(OutputFiles.resolve(job, "link.cfg").isEmpty());
        assertTrue(OutputFiles.resolve(job, "up/secret.cfg").isEmpty());
    }

    @Test
    void noFolderNoFile() {
        assertTrue(OutputFiles.resolve(null, "report.json").isEmpty());
        assertEquals(List.of(), OutputFiles.list(null));
    }
}
