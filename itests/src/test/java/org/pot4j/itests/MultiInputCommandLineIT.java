package org.pot4j.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/pot quantize as a user runs it on a model with two INT64 inputs and a constant input
 * (testdata/models/multi_input): data from an .npz, every output compared with the shipped similarity metric, then
 * AccuracyAwareQuantization ranking layers by a metric of the user's own ({@code target_error} of
 * itests/sample-metric, dropped into deploy/) over a tensor annotation.
 */
class MultiInputCommandLineIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DATA = Path.of(System.getProperty("user.dir")).resolve("../testdata/models/multi_input")
            .toAbsolutePath().normalize();

    private record Result(int exit, String out, String err) {
    }

    private static Result pot(Path temp, Path deploy, String... arguments) throws Exception {
        Path dist = RuntimeOptions.distribution();
        List<String> command = new java.util.ArrayList<>(List.of(dist.resolve("bin/pot").toString()));
        command.addAll(List.of(arguments));
        Path err = Files.createTempFile(temp, "stderr", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(err.toFile());
        builder.environment().put("POT4J_JAVA_OPTS", "-Dfelix.fileinstall.dir=" + deploy + "," + dist.resolve("conf"));
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "bin/pot ended");
        return new Result(process.exitValue(), out, Files.readString(err));
    }

    private static Path job(Path temp, String name, Map<String, Object> dataset, Map<String, Object> metric,
                            Map<String, Object> algorithm) throws Exception {
        Map<String, Object> job = Map.of(
                "model", Map.of("model_name", name, "model", DATA.resolve("multi_input.onnx").toString()),
                "engine", Map.of("dataset", dataset, "constant_inputs", Map.of("scale", 0.5),
                        "metrics", List.of(metric)),
                "compression", Map.of("target_device", "CPU", "algorithms", List.of(algorithm)));
        Path file = temp.resolve(name + ".json");
        JSON.writeValue(file.toFile(), job);
        return file;
    }

    @SuppressWarnings("unchecked")
    private static double metric(Path report, String model, String name) throws Exception {
        Map<String, Object> json = JSON.readValue(report.toFile(), Map.class);
        return ((Number) ((Map<String, Object>) ((Map<String, Object>) json.get(model)).get("metrics")).get(name))
                .doubleValue();
    }

    @Test
    void int64InputsFromAnNpzQuantizeAndAccuracyAwareRunsOnATensorAnnotation(@TempDir Path temp) throws Exception {
        Path deploy = Files.createDirectories(temp.resolve("deploy"));
        Files.copy(Path.of(System.getProperty("pot4j.itest.samplemetric")), deploy.resolve("sample-metric.jar"));
        // the job service reads batch.size: batch_size (the method's name) is reported, not silently ignored
        Files.writeString(deploy.resolve("org.pot4j.orchestrator.internal.JobServiceImpl.cfg"), "batch_size = 1\n");
        Path out = temp.resolve("out");

        Path defaultJob = job(temp, "text_default", Map.of("loader", "npy", "data", DATA.resolve("data.npz").toString()),
                Map.of("name", "similarity"), Map.of("name", "DefaultQuantization", "params",
                        Map.of("preset", "performance", "stat_subset_size", 48)));
        Result quantized = pot(temp, deploy, "quantize", "-c", defaultJob.toString(), "-o", out.toString());
        assertEquals(0, quantized.exit(), quantized.out() + quantized.err());
        Path report = out.resolve("text_default/report.json");
        double cosine = metric(report, "int8", "similarity_cosine");
        assertTrue(cosine > 0.95 && cosine <= 1.0, "INT8 close to FP32 on both outputs: " + cosine);
        assertTrue(Files.size(out.resolve("text_default/optimized/text_default.onnx")) > 0);
        assertTrue(quantized.err().contains("unknown key 'batch_size' is ignored; did you mean 'batch.size'?"),
                quantized.err());
        assertEquals(1, quantized.err().split("unknown key", -1).length - 1, "only that key: " + quantized.err());

        Path accuracyAwareJob = job(temp, "text_aa", Map.of("loader", "npy",
                        "data", DATA.resolve("data.npz").toString(), "annotations", DATA.resolve("targets.npy").toString()),
                Map.of("name", "target_error"), Map.of("name", "AccuracyAwareQuantization", "params",
                        Map.of("stat_subset_size", 48, "ranking_subset_size", 48, "maximal_drop", 0.0,
                                "max_iter_num", 2)));
        Result aware = pot(temp, deploy, "quantize", "-c", accuracyAwareJob.toString(), "-o", out.toString());
        assertEquals(0, aware.exit(), aware.out() + aware.err());
        Path awareReport = out.resolve("text_aa/report.json");
        double fp32 = metric(awareReport, "fp32", "target_error");
        double int8 = metric(awareReport, "int8", "target_error");
        assertTrue(fp32 > 0 && fp32 < 0.02, "targets are the FP32 logits plus noise of 0.01: " + fp32);
        assertTrue(int8 >= fp32 - 1e-3, "lower is better: " + int8);
        assertTrue(Files.readString(awareReport).contains("\"accuracy_aware\""), "AccuracyAware's report section");
    }
}
