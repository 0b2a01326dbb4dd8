package org.pot4j.cli.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.graph.Graph;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/** {@code pot quantize} end to end on the shipped example, and bad configurations that must leave nothing behind. */
class QuantizeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static QuantizeCommand quantize;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() {
        quantize = new QuantizeCommand(new RealServer().jobs);
    }

    /** The example config with its paths made absolute and one JSON fragment replaced. */
    private Path exampleConfig(String find, String replace) throws Exception {
        String text = Files.readString(TestFiles.example("quantize.json"))
                .replace("\"models/", "\"" + TestFiles.example("models") + "/")
                .replace("\"data/", "\"" + TestFiles.example("data") + "/");
        if (find != null) {
            assertTrue(text.contains(find), "example config contains " + find);
            text = text.replace(find, replace);
        }
        Path file = temp.resolve("job-" + System.nanoTime() + ".json");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void quantizesTheExampleWithinAccuracyAndWritesModelAndReport() throws Exception {
        Path out = temp.resolve("out");
        RealServer.Run run = RealServer.run(quantize, "-c", exampleConfig(null, null).toString(), "-o", out.toString(),
                "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode result = JSON.readTree(run.out());
        assertEquals("COMPLETED", result.get("state").asText());
        Path model = out.resolve("cnn_relu/optimized/cnn_relu.onnx");
        Path report = out.resolve("cnn_relu/report.json");
        assertTrue(Files.isRegularFile(model) && Files.isRegularFile(report));

        JsonNode json = JSON.readTree(report.toFile());
        double fp32 = json.get("fp32").get("metrics").get("accuracy").asDouble();
        double int8 = json.get("int8").get("metrics").get("accuracy").asDouble();
        assertTrue(fp32 - int8 <= 0.005, "drop " + (fp32 - int8));
        assertTrue(json.get("quantization_points").size() >= 8, "every Conv/Gemm has activation and weight points");
        assertEquals("CPU", json.get("target_device").asText());

        Graph graph = OnnxCodec.read(model);
        long dequantize = graph.nodes().stream().filter(n -> n.opType().equals("DequantizeLinear")).count();
        assertTrue(dequantize >= 8, "QDQ model, found " + dequantize + " DequantizeLinear");
        assertTrue(graph.opset() >= 13);
        assertTrue(graph.metadata().get("pot4j.config").contains("DefaultQuantization"), "config embedded in the model");
        assertTrue(Files.list(out.resolve("cnn_relu/optimized")).noneMatch(p -> p.getFileName().toString()
                .endsWith(".part")), "no temporary files left");
    }

    /**
     * Acceptance 4 of issue 12: the example CNN inside both branches of an If on the data (the input's mean above a
     * threshold every image meets): the branches' layers are quantized and listed, nothing is left float.
     */
    @Test
    void layersInsideIfBranchesOnTheDataAreQuantizedAndListed() throws Exception {
        Graph cnn = OnnxCodec.read(TestFiles.model("cnn_relu"));
        String input = cnn.inputs().get(0).name();
        String output = cnn.outputs().get(0).name();
        Graph model = cnn.copy();
        model.nodes().clear();
        Graph then = branch(cnn, "then", input, output, "");
        Graph otherwise = branch(cnn, "else", input, output, "_else");
        model.initializers().put("threshold", new org.pot4j.api.tensor.Tensor(org.pot4j.api.tensor.DataType.FLOAT,
                new long[0], new float[] {-1000f}));
        model.nodes().add(new org.pot4j.api.graph.Node("mean", "ReduceMean", "", List.of(input), List.of("mean"),
                Map.of("keepdims", org.pot4j.api.graph.Attribute.ofInt(0))));
        model.nodes().add(new org.pot4j.api.graph.Node("bright", "Greater", "", List.of("mean", "threshold"),
                List.of("bright"), Map.of()));
        model.nodes().add(new org.pot4j.api.graph.Node("if", "If", "", List.of("bright"), List.of(output),
                Map.of("then_branch", org.pot4j.api.graph.Attribute.ofGraph(then),
                        "else_branch", org.pot4j.api.graph.Attribute.ofGraph(otherwise))));
        Path modelFile = temp.resolve("cnn_if.onnx");
        OnnxCodec.write(model, modelFile);

        Path out = temp.resolve("out");
        RealServer.Run run = RealServer.run(quantize, "-c", exampleConfig("\"" + TestFiles.example("models") + "/cnn_relu.onnx\"",
                "\"" + modelFile + "\"").toString(), "-o", out.toString(), "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode report = JSON.readTree(out.resolve("cnn_relu/report.json").toFile());
        java.util.Set<String> quantized = new java.util.HashSet<>();
        report.get("quantization_points").forEach(point -> quantized.add(point.get("node").asText()));
        for (org.pot4j.api.graph.Node node : cnn.nodes()) {
            if (node.opType().equals("Conv") || node.opType().equals("Gemm")) {
                assertTrue(quantized.contains(node.name()) && quantized.contains(node.name() + "_else"),
                        node.name() + " quantized in both branches: " + quantized);
            }
        }
        assertEquals(0, report.get("float_layers").size(), report.get("float_layers").toString());
        assertTrue(report.get("warning") == null, String.valueOf(report.get("warning")));
        double drop = report.get("drop").get("accuracy").asDouble();
        assertTrue(drop <= 0.01, "drop " + drop);
        Graph written = OnnxCodec.read(out.resolve("cnn_relu/optimized/cnn_relu.onnx"));
        assertTrue(written.node("if").orElseThrow().attribute("then_branch").asGraph().nodes().stream()
                .anyMatch(n -> n.opType().equals("QuantizeLinear")), "Q/DQ inside the branch");
    }

    /** The CNN's nodes as an If branch: values and node names get {@code suffix}, the output {@code _<name>}. */
    private static Graph branch(Graph cnn, String name, String input, String output, String suffix) {
        Graph branch = new Graph();
        branch.setName(name);
        java.util.function.UnaryOperator<String> rename = v -> v.isEmpty() || v.equals(input)
                || cnn.initializers().containsKey(v) ? v : v.equals(output) ? output + "_" + name : v + suffix;
        for (org.pot4j.api.graph.Node node : cnn.nodes()) {
            branch.nodes().add(new org.pot4j.api.graph.Node(node.name() + suffix, node.opType(), node.domain(),
                    node.inputs().stream().map(rename).toList(), node.outputs().stream().map(rename).toList(),
                    node.attributes()));
        }
        branch.outputs().add(new org.pot4j.api.graph.ValueInfo(output + "_" + name, null, null));
        return branch;
    }

    @Test
    void sameConfigAndSeedGiveByteIdenticalModels() throws Exception {
        Path config = exampleConfig("\"stat_subset_size\": 300", "\"stat_subset_size\": 100, \"shuffle_data\": true,"
                + " \"seed\": 7");
        Path first = temp.resolve("first");
        Path second = temp.resolve("second");
        RealServer.Run firstRun = RealServer.run(quantize, "-c", config.toString(), "-o", first.toString());
        assertEquals(0, firstRun.exitCode(), firstRun.err());
        // the console summary says the 1-channel first Conv stays float (float stem on CPU) and where to read why
        assertTrue(firstRun.out().contains("quantized layers: 5 (1 left in float: report.json ignored_nodes says why)"),
                firstRun.out());
        assertEquals(0, RealServer.run(quantize, "-c", config.toString(), "-o", second.toString()).exitCode());
        assertArrayEquals(Files.readAllBytes(first.resolve("cnn_relu/optimized/cnn_relu.onnx")),
                Files.readAllBytes(second.resolve("cnn_relu/optimized/cnn_relu.onnx")));
    }

    /** POT's engine stat_ and eval_requests_number: two sessions share each pass; same model, same metrics. */
    @Test
    void parallelStatisticsRequestsGiveTheSameModel() throws Exception {
        Path one = temp.resolve("one");
        Path two = temp.resolve("two");
        assertEquals(0, RealServer.run(quantize, "-c", exampleConfig(null, null).toString(), "-o", one.toString())
                .exitCode());
        Path parallel = exampleConfig("\"type\": \"accuracy_checker\",",
                "\"type\": \"accuracy_checker\", \"stat_requests_number\": 2, \"eval_requests_number\": 2,");
        RealServer.Run run = RealServer.run(quantize, "-c", parallel.toString(), "-o", two.toString());
        assertEquals(0, run.exitCode(), run.err());
        Graph first = OnnxCodec.read(one.resolve("cnn_relu/optimized/cnn_relu.onnx"));
        Graph second = OnnxCodec.read(two.resolve("cnn_relu/optimized/cnn_relu.onnx"));
        assertFalse(first.metadata().get("pot4j.config").contains("stat_requests_number"));
        assertTrue(second.metadata().get("pot4j.config").contains("stat_requests_number"), "the job config differs");
        first.metadata().remove("pot4j.config");
        second.metadata().remove("pot4j.config");
        assertArrayEquals(OnnxCodec.write(first), OnnxCodec.write(second), "same weights, scales and graph");
        JsonNode reportOne = JSON.readTree(one.resolve("cnn_relu/report.json").toFile());
        JsonNode reportTwo = JSON.readTree(two.resolve("cnn_relu/report.json").toFile());
        assertEquals(reportOne.get("fp32"), reportTwo.get("fp32"), "the same FP32 metrics from two sessions");
        assertEquals(reportOne.get("int8"), reportTwo.get("int8"));
    }

    private void assertRejectedAndNothingWritten(Path config, String... fragments) throws Exception {
        Path out = temp.resolve("rejected-" + System.nanoTime());
        RealServer.Run run = RealServer.run(quantize, "-c", config.toString(), "-o", out.toString());
        assertEquals(2, run.exitCode(), "stderr: " + run.err());
        for (String fragment : fragments) {
            assertTrue(run.err().contains(fragment), "'" + fragment + "' in: " + run.err());
        }
        assertFalse(Files.exists(out), "nothing written for a rejected job");
    }

    @Test
    void unknownAlgorithmIsRejectedNamingTheAvailableOnes() throws Exception {
        assertRejectedAndNothingWritten(exampleConfig("\"DefaultQuantization\"", "\"DefaultQuantisation\""),
                "compression.algorithms[0].name", "DefaultQuantisation", "did you mean 'DefaultQuantization'",
                "MinMaxQuantization");
    }

    @Test
    void unknownOptionIsRejected() throws Exception {
        assertRejectedAndNothingWritten(exampleConfig("\"preset\": \"performance\"", "\"preset\": \"performance\","
                + " \"stat_subset_sise\": 10"), "compression.algorithms[0].params.stat_subset_sise",
                "did you mean 'stat_subset_size'");
    }

    @Test
    void wrongTypeIsRejected() throws Exception {
        assertRejectedAndNothingWritten(exampleConfig("\"stat_subset_size\": 300", "\"stat_subset_size\": \"many\""),
                "stat_subset_size", "many");
    }

    @Test
    void wrongPresetIsRejectedWithTheAllowedValues() throws Exception {
        assertRejectedAndNothingWritten(exampleConfig("\"preset\": \"performance\"", "\"preset\": \"fast\""),
                "preset", "fast", "performance", "mixed");
    }

    @Test
    void ignoredNamesThatMatchNothingAreAnError() throws Exception {
        Path config = exampleConfig("\"preset\": \"performance\"", "\"preset\": \"performance\","
                + " \"ignored\": {\"scope\": [\"/features/features.0/Convv\"]}");
        Path out = temp.resolve("ignored");
        RealServer.Run run = RealServer.run(quantize, "-c", config.toString(), "-o", out.toString());
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains("/features/features.0/Convv"), run.err());
        assertFalse(Files.exists(out.resolve("cnn_relu/optimized")), "no model written");
        assertFalse(Files.exists(out.resolve("cnn_relu/report.json")), "no report written");
    }

    @Test
    void subsetLargerThanTheDatasetIsAnError() throws Exception {
        Path config = exampleConfig("\"stat_subset_size\": 300", "\"stat_subset_size\": 301");
        Path out = temp.resolve("subset");
        RealServer.Run run = RealServer.run(quantize, "-c", config.toString(), "-o", out.toString());
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains("stat_subset_size") && run.err().contains("300"), run.err());
        assertFalse(Files.exists(out.resolve("cnn_relu/report.json")), "no report written");
    }

    @Test
    void jsonResultOfAFailedJobCarriesTheCode() throws Exception {
        Path config = exampleConfig("\"stat_subset_size\": 300", "\"stat_subset_size\": 301");
        RealServer.Run run = RealServer.run(quantize, "-c", config.toString(), "-o", temp.resolve("j").toString(),
                "--json");
        JsonNode result = JSON.readTree(run.out());
        assertEquals(Map.of("state", "FAILED", "code", "INVALID_INPUT"),
                Map.of("state", result.get("state").asText(), "code", result.get("code").asText()));
    }

    /**
     * Ctrl-C: the launcher interrupts the command's thread. The command cancels its job and returns only once the job
     * has stopped (it used to return at once with "java.lang.InterruptedException", the job still running).
     */
    @Test
    void anInterruptedQuantizeCancelsItsJobAndWaitsForIt() throws Exception {
        RealServer server = new RealServer();
        QuantizeCommand command = new QuantizeCommand(server.jobs);
        Path out = temp.resolve("out");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int[] code = {-1};
        Thread commandThread = new Thread(() -> {
            try (PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                code[0] = command.execute(List.of("-c", exampleConfig(null, null).toString(), "-o", out.toString(),
                        "--job-id", "interrupted"), new PrintStream(java.io.OutputStream.nullOutputStream()), errStream);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        commandThread.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!err.toString(StandardCharsets.UTF_8).contains("[") && System.nanoTime() < deadline) {
            Thread.sleep(5); // until the first stage line: the job is running
        }
        commandThread.interrupt();
        commandThread.join(60_000);
        String messages = err.toString(StandardCharsets.UTF_8);
        assertFalse(commandThread.isAlive(), messages);
        assertEquals(1, code[0], messages);
        assertTrue(messages.contains("error [CANCELLED]"), messages);
        assertEquals("CANCELLED", server.jobs.status("interrupted").orElseThrow().state().name(),
                "the job ended before the command returned");
        assertFalse(Files.exists(out.resolve("cnn_relu/optimized/cnn_relu.onnx")), "no model from a cancelled job");
    }
}
