package org.pot4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.testsupport.TestFiles;

/**
 * Ctrl-C during {@code bin/pot quantize}: the job is cancelled and the process exits 130 in order. With the
 * JVM's default exit, ONNX Runtime's native state was torn down under a running session: a SIGSEGV with an
 * hs_err file, or a misleading "cannot load the model" error. The job must be long enough to be interrupted in its
 * middle: mobilenet_v2_tiny evaluated on 10,000 images (the repository's 1000 test images ten times over).
 */
class InterruptCliIT {
    private static final Path DIST = Path.of(System.getProperty("pot4j.dist", "target/pot4j"));
    private static final Path EXAMPLE = Path.of("../examples/fashion-mnist/quantize.json").toAbsolutePath().normalize();

    @TempDir
    Path temp;

    @Test
    void ctrlCCancelsTheJobAndExitsInOrder() throws Exception {
        Path model = TestFiles.model("mobilenet_v2_tiny");
        TestFiles.IdxPair tenThousand = TestFiles.repeatedTestSet(temp.resolve("data"), 10);
        // the example's job on mobilenet_v2_tiny, evaluated on 10,000 images, with the slow BiasCorrection
        String config = Files.readString(EXAMPLE)
                .replace("\"model_name\": \"cnn_relu\"", "\"model_name\": \"mobilenet_v2_tiny\"")
                .replace("\"models/cnn_relu.onnx\"", "\"" + model + "\"")
                .replace("\"data/test-1000-images-idx3-ubyte.gz\"", "\"" + tenThousand.images() + "\"")
                .replace("\"data/test-1000-labels-idx1-ubyte.gz\"", "\"" + tenThousand.labels() + "\"")
                .replace("\"data/", "\"" + EXAMPLE.getParent() + "/data/")
                .replace("\"stat_subset_size\": 300", "\"stat_subset_size\": 300, \"use_fast_bias\": false");
        assertTrue(config.contains("use_fast_bias") && config.contains(tenThousand.images().toString()),
                "the example's shape changed");
        Path job = temp.resolve("job.json");
        Files.writeString(job, config);
        Path out = temp.resolve("out");
        Path workDir = Files.createDirectories(temp.resolve("cwd"));

        Process process = new ProcessBuilder(DIST.resolve("bin/pot").toAbsolutePath().toString(), "quantize", "-c",
                job.toString(), "-o", out.toString()).directory(workDir.toFile()).start();
        process.getOutputStream().close();
        CountDownLatch evaluating = new CountDownLatch(1);
        StringBuilder err = new StringBuilder();
        Thread errReader = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    synchronized (err) {
                        err.append(line).append('\n');
                    }
                    if (line.contains("[fp32 evaluation]")) {
                        evaluating.countDown();
                    }
                }
            } catch (Exception e) {
                // the process ended
            }
        });
        errReader.start();
        Thread outReader = new Thread(() -> {
            try {
                process.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            } catch (Exception e) {
                // the process ended
            }
        });
        outReader.start();
        assertTrue(evaluating.await(2, TimeUnit.MINUTES), "the job did not start: " + err);
        Thread.sleep(500); // inside the 10,000-image evaluation or the quantization after it
        assertTrue(process.isAlive(), "the job ended before it could be interrupted: " + err);
        new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();

        assertTrue(process.waitFor(2, TimeUnit.MINUTES), "bin/pot did not stop after Ctrl-C: " + err);
        errReader.join(10_000);
        String messages;
        synchronized (err) {
            messages = err.toString();
        }
        assertEquals(130, process.exitValue(), messages);
        assertTrue(messages.contains("cancel"), messages);
        assertFalse(messages.contains("cannot load the model") || messages.contains("InterruptedException"), messages);
        try (Stream<Path> files = Files.list(workDir)) {
            assertEquals(0, files.filter(f -> f.getFileName().toString().startsWith("hs_err")).count(),
                    "the JVM crashed: " + messages);
        }
        assertFalse(Files.exists(out.resolve("mobilenet_v2_tiny/optimized/mobilenet_v2_tiny.onnx")), "no model");
        assertFalse(Files.exists(out.resolve("mobilenet_v2_tiny/report.json")), "no report");
    }
}
