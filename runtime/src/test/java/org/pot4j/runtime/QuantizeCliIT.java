package org.pot4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main job through the real distribution (Felix, the shipped bundles, ONNX Runtime):
 * quantize the shipped example, then measure the output independently with {@code bin/pot evaluate}.
 */
class QuantizeCliIT {
    private static final Path DIST = Path.of(System.getProperty("pot4j.dist", "target/pot4j"));
    private static final Path EXAMPLE = Path.of("../examples/fashion-mnist/quantize.json").toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    private record Result(int code, String out, String err) {
    }

    private static Result pot(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(DIST.resolve("bin/pot").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        byte[][] errBytes = new byte[1][];
        Thread errReader = new Thread(() -> {
            try {
                errBytes[0] = process.getErrorStream().readAllBytes();
            } catch (IOException e) {
                errBytes[0] = e.toString().getBytes(StandardCharsets.UTF_8);
            }
        });
        errReader.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        errReader.join();
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "bin/pot did not exit");
        return new Result(process.exitValue(), out, new String(errBytes[0], StandardCharsets.UTF_8));
    }

    @Test
    void quantizedExampleIsWithinHalfAPointAndEvaluateAgreesWithTheReport() throws Exception {
        Result quantize = pot("quantize", "-c", EXAMPLE.toString(), "-o", temp.toString(), "--json");
        assertEquals(0, quantize.code(), quantize.err());
        JsonNode result = JSON.readTree(quantize.out());
        assertEquals("COMPLETED", result.get("state").asText());
        Path model = temp.resolve("cnn_relu/optimized/cnn_relu.onnx");
        JsonNode report = JSON.readTree(temp.resolve("cnn_relu/report.json").toFile());
        double fp32 = report.get("fp32").get("metrics").get("accuracy").asDouble();
        double int8 = report.get("int8").get("metrics").get("accuracy").asDouble();
        assertTrue(fp32 - int8 <= 0.005, "drop " + (fp32 - int8));
        // the distribution deploys ActivationChannelAlignment; cnn_relu's Relu pairs move nothing, so one
        // statistics pass, declared up front, serves it, MinMax and FastBiasCorrection
        assertEquals("[\"ActivationChannelAlignment\",\"MinMaxQuantization\",\"FastBiasCorrection\"]",
                report.get("default_quantization").get("steps").toString());
        assertEquals(0, report.get("activation_channel_alignment").get("aligned").size());
        assertTrue(report.get("default_quantization").get("statistics_pass_declared_up_front").asBoolean(),
                report.get("default_quantization").toString());

        Result evaluate = pot("evaluate", "-c", EXAMPLE.toString(), "-m", model.toString(), "--json");
        assertEquals(0, evaluate.code(), evaluate.err());
        assertEquals(int8, JSON.readTree(evaluate.out()).get("metrics").get("accuracy").asDouble(), 1e-9,
                "the output model, measured on its own, scores what the report says");
        Result original = pot("evaluate", "-c", EXAMPLE.toString(), "--json");
        assertEquals(fp32, JSON.readTree(original.out()).get("metrics").get("accuracy").asDouble(), 1e-9);
    }

    /** POT's engine stat_ and eval_requests_number in the distribution: two sessions each, same results. */
    @Test
    void parallelStatisticsRequestsQuantizeAlike() throws Exception {
        Path parallel = temp.resolve("parallel.json");
        String text = Files.readString(EXAMPLE).replace("\"models/", "\"" + EXAMPLE.getParent() + "/models/")
                .replace("\"data/", "\"" + EXAMPLE.getParent() + "/data/");
        assertTrue(text.contains("\"type\": \"accuracy_checker\","), "the example names its engine type");
        Files.writeString(parallel, text.replace("\"type\": \"accuracy_checker\",",
                "\"type\": \"accuracy_checker\", \"stat_requests_number\": 2, \"eval_requests_number\": 2,"));
        Result one = pot("quantize", "-c", EXAMPLE.toString(), "-o", temp.resolve("one").toString());
        Result two = pot("quantize", "-c", parallel.toString(), "-o", temp.resolve("two").toString());
        assertEquals(0, one.code(), one.err());
        assertEquals(0, two.code(), two.err());
        JsonNode first = JSON.readTree(temp.resolve("one/cnn_relu/report.json").toFile());
        JsonNode second = JSON.readTree(temp.resolve("two/cnn_relu/report.json").toFile());
        assertTrue(first.get("quantization_points").size() >= 8);
        assertEquals(first.get("quantization_points"), second.get("quantization_points"), "same ranges, scales, zero points");
        assertEquals(first.get("int8").get("metrics"), second.get("int8").get("metrics"));
        assertEquals(first.get("fp32").get("metrics"), second.get("fp32").get("metrics"));
    }

    @Test
    void badConfigurationExitsTwoNamingTheField() throws Exception {
        Path config = temp.resolve("typo.json");
        Files.writeString(config, Files.readString(EXAMPLE).replace("\"target_device\"", "\"target_devise\"")
                .replace("\"models/", "\"" + EXAMPLE.getParent() + "/models/")
                .replace("\"data/", "\"" + EXAMPLE.getParent() + "/data/"));
        Result run = pot("quantize", "-c", config.toString(), "-o", temp.resolve("out").toString());
        assertEquals(2, run.code(), run.err());
        assertTrue(run.err().contains("compression.target_devise") && run.err().contains("target_device"), run.err());
        assertTrue(!Files.exists(temp.resolve("out")), "nothing written");
    }

    @Test
    void benchmarkPrintsLatencyFigures() throws Exception {
        Path model = EXAMPLE.getParent().resolve("models/cnn_relu.onnx");
        Result run = pot("benchmark", "-m", model.toString(), "--batch", "4", "--iterations", "20", "--json");
        assertEquals(0, run.code(), run.err());
        JsonNode figures = JSON.readTree(run.out());
        assertEquals(4, figures.get("batch").asInt());
        assertTrue(figures.get("iterations").asInt() > 0 && figures.get("median_ms").asDouble() > 0
                && figures.get("p90_ms").asDouble() >= figures.get("median_ms").asDouble(), run.out());
    }
}
