package org.pot4j.orchestrator.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.annotation.Annotation;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventSink;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobResult;
import org.pot4j.api.job.JobState;
import org.pot4j.backend.onnxruntime.internal.OnnxRuntimeBackend;
import org.pot4j.device.any.internal.AnyDevice;
import org.pot4j.loader.idx.internal.IdxDataLoader;
import org.pot4j.loader.npy.internal.NpyDataLoader;
import org.pot4j.metric.accuracy.internal.AccuracyMetric;
import org.pot4j.orchestrator.internal.registry.PluginRegistryImpl;

/**
 * Whole jobs on the shipped Fashion-MNIST example (cnn_relu, small slices of its data) with the real backend,
 * loaders, metric and algorithm: what a user sees when the output directory, the data or the model path is wrong,
 * and when a rerun replaces earlier results.
 */
class JobServiceImplTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicLong SERVICE_IDS = new AtomicLong();
    private static final Path EXAMPLE = Path.of(System.getProperty("user.dir"))
            .resolve("../../examples/fashion-mnist").normalize();
    private static JobServiceImpl jobs;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() {
        jobs = newJobService(8);
    }

    /** A job service over the real loaders, metric, device, backend and MinMax, one worker of batch {@code batchSize}. */
    private static JobServiceImpl newJobService(int batchSize) {
        PluginRegistryImpl registry = new PluginRegistryImpl(id -> new PluginRegistryImpl.Origin("test", "0"));
        registry.bindLoader(new IdxDataLoader(), props("pot4j.loader", "idx"));
        registry.bindLoader(new NpyDataLoader(), props("pot4j.loader", "npy"));
        registry.bindMetric(new AccuracyMetric(), props("pot4j.metric", "accuracy"));
        registry.bindDevice(new AnyDevice(), props("pot4j.device", "ANY"));
        registry.bindBackend(new OnnxRuntimeBackend(), props("pot4j.backend", "onnxruntime"));
        registry.bindAlgorithm(new MinMaxQuantization(), props("pot4j.algorithm", "MinMaxQuantization"));
        return jobService(registry, batchSize);
    }

    /** A job service over {@code registry}: one worker, batch {@code batchSize}, 1 thread, no statistics cache. */
    static JobServiceImpl jobService(PluginRegistryImpl registry, int batchSize) {
        return new JobServiceImpl(registry, new JobServiceImpl.Config() {
            public int workers() { return 1; }
            public int batch_size() { return batchSize; }
            public int inference_threads() { return 1; }
            public String statistics_cache_directory() { return ""; }
            public int statistics_cache_max_mb() { return 0; }
            public Class<? extends Annotation> annotationType() { return JobServiceImpl.Config.class; }
        }, (Path) null);
    }

    /** Service properties of a plugin named {@code name}, with a fresh service id. */
    static Map<String, Object> props(String key, String name) {
        return Map.of(key, name, "service.id", SERVICE_IDS.incrementAndGet(), "service.bundleid", 1L);
    }

    private static Map<String, Object> idx(String images, String labels) {
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("loader", "idx");
        block.put("images", EXAMPLE.resolve("data/" + images).toString());
        if (labels != null) {
            block.put("labels", EXAMPLE.resolve("data/" + labels).toString());
        }
        return block;
    }

    /** cnn_relu, MinMax on 16 calibration images; {@code engine} as given. */
    private static Map<String, Object> config(String model, Map<String, Object> engine) {
        return Map.of("model", Map.of("model_name", "cnn_relu", "model", model),
                "engine", engine,
                "compression", Map.of("target_device", "ANY", "algorithms",
                        List.of(Map.of("name", "MinMaxQuantization", "params", Map.of("stat_subset_size", 16)))));
    }

    /** The example's data, calibration on the 300 training images, no metrics: statistics and writing only. */
    private static Map<String, Object> quickConfig() {
        return config(EXAMPLE.resolve("models/cnn_relu.onnx").toString(), Map.of("type", "accuracy_checker",
                "dataset", idx("test-1000-images-idx3-ubyte.gz", "test-1000-labels-idx1-ubyte.gz"),
                "calibration_dataset", idx("calib-300-images-idx3-ubyte.gz", null)));
    }

    private record Run(JobResult result, List<JobEvent> events) {
        JobEvent last() {
            return events.get(events.size() - 1);
        }
    }

    private static Run run(Map<String, Object> config, Path output, String origin) throws Exception {
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        JobEventSink listener = events::add;
        JobResult result = jobs.submit(new JobRequest(null, config, null, output, origin), listener)
                .get(120, TimeUnit.SECONDS);
        return new Run(result, events);
    }

    /** A numpy.save file of float32 samples of {@code shape} (axis 0: samples), all zero. */
    private Path npyFloats(String name, int... shape) throws Exception {
        int count = 1;
        StringBuilder dims = new StringBuilder();
        for (int dim : shape) {
            count *= dim;
            dims.append(dim).append(", ");
        }
        return npy(name, "<f4", dims.toString(), new byte[count * 4]);
    }

    private Path npy(String name, String descr, String dims, byte[] data) throws Exception {
        String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
        int padded = (10 + header.length() + 1 + 63) / 64 * 64 - 10;
        header = header + " ".repeat(padded - header.length() - 1) + "\n";
        ByteBuffer bytes = ByteBuffer.allocate(10 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        bytes.putShort((short) padded).put(header.getBytes(StandardCharsets.US_ASCII)).put(data);
        Path file = temp.resolve(name);
        Files.write(file, bytes.array());
        return file;
    }

    // 1. a bad output directory is bad input, found before the model or data are loaded

    @Test
    void anOutputDirectoryThatIsAFileIsRejectedBeforeAnythingIsLoaded() throws Exception {
        Path file = Files.writeString(temp.resolve("results"), "not a folder");
        for (Path output : List.of(file, file.resolve("below"))) {
            Run run = run(quickConfig(), output, "cli");
            assertEquals(JobState.REJECTED, run.result().state(), run.result().message());
            assertEquals(InvalidInputException.CODE, run.result().code());
            assertEquals("-o", run.last().details().get("field"));
            assertEquals(output.toString(), run.last().details().get("value"));
            assertTrue(run.result().message().contains("Not a directory")
                    || run.result().message().contains("is not a directory"), run.result().message());
            assertTrue(run.result().message().contains(file.toString()), run.result().message());
            assertTrue(run.events().stream().noneMatch(e -> e.type() == JobEventType.STAGE), "nothing was loaded");
        }
        assertEquals("not a folder", Files.readString(file), "the file in the way is untouched");
    }

    @Test
    void aKafkaRequestNamesItsOwnOutputKey() throws Exception {
        Path file = Files.writeString(temp.resolve("workspace"), "not a folder");
        Run run = run(quickConfig(), file.resolve("job-1"), "kafka");
        assertEquals(JobState.REJECTED, run.result().state());
        assertEquals("output_dir", run.last().details().get("field"));
    }

    @Test
    void theOutputFolderIsCreatedUpFrontAndTakenAwayWhenTheJobFails() throws Exception {
        Path output = temp.resolve("new/out");
        Map<String, Object> config = config(EXAMPLE.resolve("models/cnn_relu.onnx").toString(),
                Map.of("type", "accuracy_checker", "dataset", Map.of("loader", "npy",
                        "data", npyFloats("wrong.npy", 16, 1, 32, 32).toString())));
        Run run = run(config, output, "cli");
        assertEquals(JobState.FAILED, run.result().state(), run.result().message());
        assertFalse(Files.exists(temp.resolve("new")), "no empty folder is left behind");
    }

    // 3. a rerun into the same folder replaces the results there, and says so

    @Test
    void aRerunSaysThatItReplacedTheEarlierResults() throws Exception {
        Path output = temp.resolve("out");
        Run first = run(quickConfig(), output, "cli");
        assertEquals(JobState.COMPLETED, first.result().state(), first.result().message());
        assertEquals(false, first.result().summary().get("replaced_previous_results"));
        Run second = run(quickConfig(), output, "cli");
        assertEquals(JobState.COMPLETED, second.result().state(), second.result().message());
        assertEquals(true, second.result().summary().get("replaced_previous_results"));
        assertEquals(true, second.last().details().get("replaced_previous_results"), "in the COMPLETED event too");
        assertTrue(JSON.readTree(output.resolve("cnn_relu/report.json").toFile())
                .get("replaced_previous_results").asBoolean());
        try (var files = Files.list(output.resolve("cnn_relu"))) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith(".pot4j-write-check")),
                    "the writability check leaves nothing behind");
        }
    }

    /** report.json's ignored_nodes is the final plan's list (what the summary counts), not one algorithm's view. */
    @Test
    void theReportListsTheFinalPlansIgnoredNodesWithReasons() throws Exception {
        Run run = run(quickConfig(), temp.resolve("out"), "cli");
        assertEquals(JobState.COMPLETED, run.result().state(), run.result().message());
        var ignored = JSON.readTree(temp.resolve("out/cnn_relu/report.json").toFile()).get("ignored_nodes");
        assertTrue(ignored.isArray(), ignored.toString());
        assertEquals(((Number) run.result().summary().get("ignored_nodes")).intValue(), ignored.size(), ignored.toString());
        ignored.forEach(entry -> assertTrue(entry.has("node") && entry.has("reason"), entry.toString()));
    }

    /** Issue 18, acceptance 4: report.json has the wall time and the peak resident memory of every stage. */
    @Test
    void theReportHasWallTimeAndPeakMemoryPerStage() throws Exception {
        Run run = run(quickConfig(), temp.resolve("out"), "cli");
        assertEquals(JobState.COMPLETED, run.result().state(), run.result().message());
        var report = JSON.readTree(temp.resolve("out/cnn_relu/report.json").toFile());
        var seconds = report.get("stage_seconds");
        var peaks = report.get("stage_peak_rss_mb");
        assertTrue(seconds.has("load model") && seconds.has("write model"), seconds.toString());
        double processPeak = report.get("peak_rss_mb").asDouble();
        seconds.fieldNames().forEachRemaining(stage -> {
            assertTrue(peaks.has(stage), stage + " has a peak: " + peaks);
            double peak = peaks.get(stage).asDouble();
            // a JVM with ONNX Runtime loaded holds tens of MB at least; no stage exceeds the job's peak
            assertTrue(peak > 20 && peak <= processPeak, stage + ": " + peak + " MB of " + processPeak);
        });
    }

    // 4. data that does not fit the model names the dataset of the config, not only the model input

    @Test
    void calibrationDataThatDoesNotFitTheModelNamesTheCalibrationDataset() throws Exception {
        Map<String, Object> config = config(EXAMPLE.resolve("models/cnn_relu.onnx").toString(),
                Map.of("type", "accuracy_checker",
                        "dataset", idx("test-1000-images-idx3-ubyte.gz", "test-1000-labels-idx1-ubyte.gz"),
                        "calibration_dataset", Map.of("loader", "npy",
                                "data", npyFloats("calib32.npy", 16, 1, 32, 32).toString())));
        Run run = run(config, null, "cli");
        assertEquals(JobState.FAILED, run.result().state(), run.result().message());
        assertEquals(InvalidInputException.CODE, run.result().code());
        assertEquals("engine.calibration_dataset (fed to inputs.input)", run.last().details().get("field"),
                run.result().message());
        assertTrue(run.result().message().contains("[N, 1, 28, 28]"), run.result().message());
    }

    /** cnn_relu evaluated for accuracy on an npy dataset ({@code data}, int64 {@code labels}), calibrated on the example. */
    private Map<String, Object> evaluatedOnNpy(Path data, long[] labels) throws Exception {
        ByteBuffer bytes = ByteBuffer.allocate(8 * labels.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long label : labels) {
            bytes.putLong(label);
        }
        return config(EXAMPLE.resolve("models/cnn_relu.onnx").toString(),
                Map.of("type", "accuracy_checker",
                        "dataset", Map.of("loader", "npy", "data", data.toString(),
                                "labels", npy("labels-" + System.nanoTime() + ".npy", "<i8", labels.length + ",",
                                        bytes.array()).toString()),
                        "calibration_dataset", idx("calib-300-images-idx3-ubyte.gz", null),
                        "metrics", List.of(Map.of("name", "accuracy", "top_k", 1))));
    }

    @Test
    void evaluationDataThatDoesNotFitTheModelNamesTheEvaluationDataset() throws Exception {
        Map<String, Object> config = evaluatedOnNpy(npyFloats("test32.npy", 8, 1, 32, 32), new long[8]);
        Run run = run(config, null, "cli");
        assertEquals(JobState.FAILED, run.result().state(), run.result().message());
        assertEquals("engine.dataset (fed to inputs.input)", run.last().details().get("field"), run.result().message());

        InvalidInputException evaluate = assertThrows(InvalidInputException.class,
                () -> jobs.evaluate(new JobRequest(null, config, null, null, "cli"), null, null));
        assertEquals("engine.dataset (fed to inputs.input)", evaluate.field(), evaluate.getMessage());
    }

    @Test
    void aLabelOutOfRangeNamesTheEvaluationDataset() throws Exception {
        long[] labels = new long[8];
        labels[0] = 200; // cnn_relu has 10 classes
        Map<String, Object> config = evaluatedOnNpy(npyFloats("test.npy", 8, 1, 28, 28), labels);
        InvalidInputException evaluate = assertThrows(InvalidInputException.class,
                () -> jobs.evaluate(new JobRequest(null, config, null, null, "cli"), null, null));
        assertTrue(evaluate.field().startsWith("engine.dataset (label of sample 0"), evaluate.getMessage());
        assertTrue(evaluate.getMessage().contains("'200'"), evaluate.getMessage());
    }

    // 5. a model path that is a folder is not a "missing" file

    @Test
    void aModelPathThatIsAFolderSaysSo() throws Exception {
        Path folder = Files.createDirectories(temp.resolve("models.onnx"));
        InvalidInputException quantize = assertThrows(InvalidInputException.class,
                () -> jobs.validate(new JobRequest(null, config(folder.toString(), Map.of("type", "data_free")), null,
                        null, "cli")));
        assertEquals("model.model", quantize.field());
        assertTrue(quantize.getMessage().contains("is a directory, not a model file"), quantize.getMessage());

        InvalidInputException override = assertThrows(InvalidInputException.class,
                () -> jobs.evaluate(new JobRequest(null, quickConfigWithMetrics(), null, null, "cli"), folder, null));
        assertEquals("-m", override.field());
        assertTrue(override.getMessage().contains("is a directory, not a model file"), override.getMessage());
    }

    /** A named pipe was reported as "does not exist" (and reading one waits for a writer forever). */
    @Test
    void aModelPathThatIsANamedPipeSaysItIsNotARegularFile() throws Exception {
        Path fifo = temp.resolve("model.onnx");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mkfifo.waitFor() == 0 && Files.exists(fifo), "no mkfifo here");
        InvalidInputException quantize = assertThrows(InvalidInputException.class,
                () -> jobs.validate(new JobRequest(null, config(fifo.toString(), Map.of("type", "data_free")), null,
                        null, "cli")));
        assertEquals("model.model", quantize.field());
        assertTrue(quantize.getMessage().contains("is not a regular file (a named pipe"), quantize.getMessage());
        assertFalse(quantize.getMessage().contains("does not exist"), quantize.getMessage());
    }

    /** An .npy without samples was blamed on stat_subset_size ("at most the calibration dataset's size, 0"). */
    @Test
    void anEmptyNpyIsNamedWithItsFileNotBlamedOnTheSubsetSize() throws Exception {
        Path empty = npyFloats("empty.npy", 0, 1, 28, 28);
        Map<String, Object> config = config(EXAMPLE.resolve("models/cnn_relu.onnx").toString(),
                Map.of("type", "accuracy_checker", "dataset", Map.of("loader", "npy", "data", empty.toString())));
        Run run = run(config, null, "cli");
        assertEquals(JobState.FAILED, run.result().state(), run.result().message());
        assertEquals("engine.dataset.data", run.last().details().get("field"), run.result().message());
        assertTrue(run.result().message().contains(empty.toString())
                && run.result().message().contains("has no samples (shape [0, 1, 28, 28])"), run.result().message());
    }

    /**
     * engine.batch_size is the job's evaluation and statistics batch: a model whose batch dimension is fixed at 1
     * evaluates with batch_size 1 (the service's batch of 8 does not fit it) and names a larger one with the bound.
     */
    @Test
    void engineBatchSizeIsUsedAndBoundedByAFixedBatchDimension() throws Exception {
        org.pot4j.api.graph.Graph graph = org.pot4j.model.OnnxCodec.read(EXAMPLE.resolve("models/cnn_relu.onnx"));
        org.pot4j.api.graph.ValueInfo input = graph.inputs().get(0);
        List<org.pot4j.api.graph.ValueInfo.Dim> dims = new java.util.ArrayList<>(input.dims());
        dims.set(0, org.pot4j.api.graph.ValueInfo.Dim.of(1));
        graph.inputs().set(0, new org.pot4j.api.graph.ValueInfo(input.name(), input.type(), dims));
        Path fixed = temp.resolve("cnn_relu_batch1.onnx");
        org.pot4j.model.OnnxCodec.write(graph, fixed);

        Map<String, Object> engine = new LinkedHashMap<>(Map.of("type", "accuracy_checker",
                "dataset", idx("test-1000-images-idx3-ubyte.gz", "test-1000-labels-idx1-ubyte.gz"),
                "metrics", List.of(Map.of("name", "accuracy", "top_k", 1))));
        // the service's batch of 8 is bounded by the model's batch dimension of 1 (it failed before: [8, 1, 28, 28])
        assertEquals(1000, jobs.evaluate(new JobRequest(null, config(fixed.toString(), engine), null, null, "cli"), null,
                null).samples());

        engine.put("batch_size", 1);
        assertEquals(1000, jobs.evaluate(new JobRequest(null, config(fixed.toString(), engine), null, null, "cli"), null,
                null).samples());

        engine.put("batch_size", 4);
        InvalidInputException tooLarge = assertThrows(InvalidInputException.class, () -> jobs.evaluate(
                new JobRequest(null, config(fixed.toString(), engine), null, null, "cli"), null, null));
        assertEquals("engine.batch_size", tooLarge.field());
        assertTrue(tooLarge.getMessage().contains("at most 1: the model's input '" + input.name()
                + "' has a fixed batch dimension of 1"), tooLarge.getMessage());
        Run quantize = run(config(fixed.toString(), engine), null, "cli");
        assertEquals(JobState.FAILED, quantize.result().state(), quantize.result().message());
        assertEquals("engine.batch_size", quantize.last().details().get("field"), quantize.result().message());
    }

    private static Map<String, Object> quickConfigWithMetrics() {
        return config(EXAMPLE.resolve("models/cnn_relu.onnx").toString(), Map.of("type", "accuracy_checker",
                "dataset", idx("test-1000-images-idx3-ubyte.gz", "test-1000-labels-idx1-ubyte.gz"),
                "metrics", List.of(Map.of("name", "accuracy", "top_k", 1))));
    }

    /** Deactivation (framework stop, Ctrl-C) cancels running jobs and returns only once they have stopped. */
    @Test
    void deactivationWaitsForTheRunningJobToStop() throws Exception {
        JobServiceImpl stopping = newJobService(1);
        Map<String, Object> engine = new LinkedHashMap<>();
        engine.put("type", "accuracy_checker");
        engine.put("dataset", idx("test-1000-images-idx3-ubyte.gz", "test-1000-labels-idx1-ubyte.gz"));
        engine.put("calibration_dataset", idx("calib-300-images-idx3-ubyte.gz", null));
        engine.put("metrics", List.of(Map.of("name", "accuracy")));
        // batch 1 over 1000 evaluation images: the job is still running when deactivation starts
        var result = stopping.submit(new JobRequest(null, config(EXAMPLE.resolve("models/cnn_relu.onnx").toString(),
                engine), null, temp.resolve("out"), "cli"));
        stopping.deactivate();
        assertTrue(result.isDone(), "deactivate returned while the job was still running");
        assertEquals(JobState.CANCELLED, result.get().state(), result.get().message());
        assertFalse(Files.exists(temp.resolve("out/cnn_relu")), "a cancelled job leaves no folder");
    }

    /** bin/pot evaluate runs on the command's thread: an interrupt (Ctrl-C) stops it at the next batch, as a cancel. */
    @Test
    void anInterruptedEvaluationStopsAsCancelled() throws Exception {
        Map<String, Object> engine = new LinkedHashMap<>();
        engine.put("type", "accuracy_checker");
        engine.put("dataset", idx("test-1000-images-idx3-ubyte.gz", "test-1000-labels-idx1-ubyte.gz"));
        engine.put("metrics", List.of(Map.of("name", "accuracy")));
        Map<String, Object> config = config(EXAMPLE.resolve("models/cnn_relu.onnx").toString(), engine);
        Throwable[] thrown = new Throwable[1];
        Thread caller = new Thread(() -> {
            try {
                // interrupted at the first progress report, as Ctrl-C would be in the middle of the evaluation
                jobs.evaluate(new JobRequest(null, config, null, null, "cli"), null, event -> {
                    if (event.type() == JobEventType.PROGRESS) {
                        Thread.currentThread().interrupt();
                    }
                });
            } catch (Throwable e) {
                thrown[0] = e;
            }
        });
        caller.start();
        caller.join(60_000);
        assertTrue(thrown[0] instanceof org.pot4j.api.Pot4jException failure && "CANCELLED".equals(failure.code()),
                "evaluation went on after the interrupt: " + thrown[0]);
    }

    /** The example's model at {@code model} named {@code name}, MinMax on 64 images, accuracy on the 1000 test images. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> quantizeWithAccuracy(Path model, String name) throws Exception {
        Map<String, Object> dataset = idx("test-1000-images-idx3-ubyte.gz", "test-1000-labels-idx1-ubyte.gz");
        dataset.put("preprocessing", List.of(Map.of("type", "normalization", "mean", 72.93, "std", 90.015)));
        Map<String, Object> config = Map.of("model", Map.of("model_name", name, "model", model.toString()),
                "engine", Map.of("dataset", dataset, "metrics", List.of(Map.of("name", "accuracy"))),
                "compression", Map.of("target_device", "ANY", "algorithms", List.of(Map.of("name",
                        "MinMaxQuantization", "params", Map.of("stat_subset_size", 64)))));
        Run run = run(config, temp.resolve("out"), "test");
        assertEquals(JobState.COMPLETED, run.result().state(), run.result().message());
        return JSON.readValue(temp.resolve("out").resolve(name).resolve("report.json").toFile(), Map.class);
    }

    /**
     * Issue 18, acceptance 3: a model whose weights lie in a side file (ONNX external data, as exporters write models
     * over 2 GB) quantizes end to end (statistics, FP32 and INT8 sessions read its weights from files), is written
     * with a side file, and gives exactly the ranges, plan, accuracies and quantized weights of the same model with
     * its weights inline.
     */
    @Test
    void aModelWithItsWeightsInASideFileQuantizesAsTheSameModelWithInlineWeights() throws Exception {
        Path inlineModel = EXAMPLE.resolve("models/cnn_relu.onnx");
        org.pot4j.api.graph.Graph graph = org.pot4j.model.OnnxCodec.read(inlineModel);
        Path external = Files.createDirectories(temp.resolve("external")).resolve("cnn_relu_external.onnx");
        org.pot4j.model.OnnxCodec.write(graph, external, true);
        assertTrue(Files.size(external) < 10_000 && Files.size(external.resolveSibling("cnn_relu_external.onnx.data"))
                > 1_800_000, "the weights are in the side file: model file " + Files.size(external) + " bytes");

        Map<String, Object> inline = quantizeWithAccuracy(inlineModel, "cnn_relu");
        Map<String, Object> sideFile = quantizeWithAccuracy(external, "cnn_relu_external");

        assertEquals(inline.get("quantization_points"), sideFile.get("quantization_points"),
                "the same ranges and plan: the statistics do not depend on where the weights are read from");
        assertEquals(inline.get("fp32"), sideFile.get("fp32"));
        assertEquals(inline.get("int8"), sideFile.get("int8"));
        Path written = temp.resolve("out/cnn_relu_external/optimized/cnn_relu_external.onnx");
        assertTrue(Files.size(written.resolveSibling("cnn_relu_external.onnx.data")) > 400_000,
                "the quantized model keeps its weights in a side file");
        assertTrue(Files.size(written) < 20_000, "its model file holds no weights: " + Files.size(written));
        org.pot4j.api.graph.Graph read = org.pot4j.model.OnnxCodec.read(written);
        org.pot4j.api.graph.Graph reference = org.pot4j.model.OnnxCodec.read(
                temp.resolve("out/cnn_relu/optimized/cnn_relu.onnx"));
        assertEquals(reference.initializers().keySet(), read.initializers().keySet());
        reference.initializers().forEach((name, tensor) -> assertTrue(java.util.Objects.deepEquals(tensor.data(),
                read.initializers().get(name).data()), "the same quantized weights: " + name));
    }
}
