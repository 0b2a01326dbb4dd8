package org.pot4j.orchestrator.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.annotation.Annotation;
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
import org.pot4j.algorithm.accuracyaware.internal.AccuracyAwareQuantization;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobResult;
import org.pot4j.api.job.JobState;
import org.pot4j.backend.onnxruntime.internal.OnnxRuntimeBackend;
import org.pot4j.device.any.internal.AnyDevice;
import org.pot4j.itests.samplemetric.internal.TargetErrorMetric;
import org.pot4j.loader.npy.internal.NpyDataLoader;
import org.pot4j.metric.similarity.internal.SimilarityMetric;
import org.pot4j.orchestrator.internal.registry.PluginRegistryImpl;

/**
 * Jobs on testdata/models/multi_input (see make_multi_input.py there): a text head with two INT64 inputs from an
 * .npz, a FLOAT constant input from the job, two outputs; the same graph with a batch dimension fixed to 1; bad data
 * named before anything is written; AccuracyAware ranking by a user's metric over a tensor annotation.
 */
class MultiInputJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicLong SERVICE_IDS = new AtomicLong();
    private static final Path DIR = org.pot4j.testsupport.TestFiles.file("testdata/models/multi_input");
    private static JobServiceImpl jobs;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() {
        PluginRegistryImpl registry = new PluginRegistryImpl(id -> new PluginRegistryImpl.Origin("test", "0"));
        registry.bindLoader(new NpyDataLoader(), props("pot4j.loader", "npy"));
        registry.bindMetric(new SimilarityMetric(), props("pot4j.metric", "similarity"));
        registry.bindMetric(new TargetErrorMetric(), props("pot4j.metric", "target_error"));
        registry.bindDevice(new AnyDevice(), props("pot4j.device", "ANY"));
        registry.bindBackend(new OnnxRuntimeBackend(), props("pot4j.backend", "onnxruntime"));
        registry.bindAlgorithm(new MinMaxQuantization(), props("pot4j.algorithm", "MinMaxQuantization"));
        registry.bindAlgorithm(new AccuracyAwareQuantization(), props("pot4j.algorithm", "AccuracyAwareQuantization"));
        jobs = new JobServiceImpl(registry, new JobServiceImpl.Config() {
            public int workers() { return 1; }
            public int batch_size() { return 8; }
            public int inference_threads() { return 1; }
            public String statistics_cache_directory() { return ""; }
            public int statistics_cache_max_mb() { return 0; }
            public Class<? extends Annotation> annotationType() { return JobServiceImpl.Config.class; }
        }, (Path) null);
    }

    private static Map<String, Object> props(String key, String name) {
        return Map.of(key, name, "service.id", SERVICE_IDS.incrementAndGet(), "service.bundleid", 1L);
    }

    /** {@code model} on {@code data} (an .npz of this folder) with the constant scale, MinMax on every sample. */
    private static Map<String, Object> config(String model, String data, List<Map<String, Object>> metrics,
                                              Map<String, Object> algorithm) {
        Map<String, Object> dataset = new LinkedHashMap<>(Map.of("loader", "npy", "data", DIR.resolve(data).toString()));
        if (metrics.stream().anyMatch(m -> m.get("name").equals("target_error"))) {
            dataset.put("annotations", DIR.resolve("targets.npy").toString());
        }
        Map<String, Object> engine = new LinkedHashMap<>();
        engine.put("dataset", dataset);
        engine.put("constant_inputs", Map.of("scale", 0.5));
        engine.put("metrics", metrics);
        return Map.of("model", Map.of("model", DIR.resolve(model).toString()), "engine", engine,
                "compression", Map.of("target_device", "ANY", "algorithms", List.of(algorithm)));
    }

    private static Map<String, Object> minMax() {
        return Map.of("name", "MinMaxQuantization", "params", Map.of("stat_subset_size", 48));
    }

    private record Run(JobResult result, List<JobEvent> events) {
        JobEvent last() {
            return events.get(events.size() - 1);
        }
    }

    private static Run run(Map<String, Object> config, Path output) throws Exception {
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        JobResult result = jobs.submit(new JobRequest(null, config, null, output, "test"), events::add)
                .get(120, TimeUnit.SECONDS);
        return new Run(result, events);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> report(Path output, String modelName) throws Exception {
        return JSON.readValue(output.resolve(modelName).resolve("report.json").toFile(), Map.class);
    }

    @Test
    void int64InputsFromAnNpzAndAConstantInputQuantizeAndEveryOutputIsCompared() throws Exception {
        Run run = run(config("multi_input.onnx", "data.npz", List.of(Map.of("name", "similarity")), minMax()),
                temp);
        assertEquals(JobState.COMPLETED, run.result().state(), run.result().message());
        Map<String, Object> report = report(temp, "multi_input");
        assertEquals(8, report.get("batch_size"), "a dynamic batch takes the configured one");
        Map<?, ?> int8 = (Map<?, ?>) ((Map<?, ?>) report.get("int8")).get("metrics");
        double cosine = ((Number) int8.get("similarity_cosine")).doubleValue();
        assertTrue(cosine > 0.95 && cosine < 1.0, "both outputs compared, INT8 close to FP32: " + cosine);
        assertTrue(Files.size(temp.resolve("multi_input/optimized/multi_input.onnx")) > 0);
        JobEvent completed = run.last();
        assertTrue(((Number) completed.details().get("quantized_layers")).intValue() >= 2, completed.details().toString());
    }

    @Test
    void aFixedBatchOfOneIsReadFromTheModel() throws Exception {
        // the service's batch is 8: stacking 8 samples for [1, 8] inputs is what failed before
        Run run = run(config("multi_input_batch1.onnx", "data.npz", List.of(Map.of("name", "similarity")), minMax()),
                temp);
        assertEquals(JobState.COMPLETED, run.result().state(), run.result().message());
        Map<String, Object> report = report(temp, "multi_input_batch1");
        assertEquals(1, report.get("batch_size"));
        assertTrue(String.valueOf(report.get("batch_size_reason")).contains("fixed batch dimension of 1"),
                String.valueOf(report.get("batch_size_reason")));
    }

    @Test
    void accuracyAwareRanksLayersByAMetricOverATensorAnnotation() throws Exception {
        Map<String, Object> accuracyAware = Map.of("name", "AccuracyAwareQuantization", "params", Map.of(
                "base_algorithm", "MinMaxQuantization", "stat_subset_size", 48, "ranking_subset_size", 48,
                "maximal_drop", 0.0, "max_iter_num", 2, "ranking_workers", 1));
        Run run = run(config("multi_input.onnx", "data.npz", List.of(Map.of("name", "target_error")), accuracyAware),
                temp);
        assertEquals(JobState.COMPLETED, run.result().state(), run.result().message());
        Map<String, Object> report = report(temp, "multi_input");
        double fp32 = metric(report, "fp32", "target_error");
        double int8 = metric(report, "int8", "target_error");
        assertTrue(fp32 > 0 && fp32 < 0.02, "the targets are the FP32 logits plus noise of 0.01: " + fp32);
        assertTrue(int8 >= fp32 - 1e-3, "lower is better; INT8 does not beat FP32 by more than rounding: " + int8);
        assertTrue(run.events().stream().anyMatch(e -> e.type() == JobEventType.STAGE && e.stage() != null
                && e.stage().startsWith("AccuracyAwareQuantization")), "AccuracyAware ran its stages");
        assertNotNull(report.get("accuracy_aware"), "its report section: " + report.keySet());
    }

    private static double metric(Map<String, Object> report, String model, String name) {
        return ((Number) ((Map<?, ?>) ((Map<?, ?>) report.get(model)).get("metrics")).get(name)).doubleValue();
    }

    /** The job fails naming {@code field} and {@code words}, and writes nothing. */
    private void failsNaming(String data, String field, String... words) throws Exception {
        Path output = Files.createDirectories(temp.resolve(data));
        Run run = run(config("multi_input.onnx", data, List.of(Map.of("name", "similarity")), minMax()), output);
        assertTrue(run.result().state() == JobState.FAILED || run.result().state() == JobState.REJECTED,
                run.result().state() + " " + run.result().message());
        JobEvent last = run.last();
        assertEquals("INVALID_INPUT", last.code(), last.message());
        assertEquals(field, last.details().get("field"), last.message());
        for (String word : words) {
            assertTrue(last.message().contains(word), "'" + word + "' in: " + last.message());
        }
        try (var files = Files.list(output)) {
            assertEquals(List.of(), files.toList(), "nothing written");
        }
    }

    @Test
    void badDataIsNamedAndNothingIsWritten() throws Exception {
        failsNaming("bad_missing_input.npz", "engine.dataset (fed to inputs.attention_mask)", "missing",
                "engine.constant_inputs");
        failsNaming("bad_dtype.npz", "engine.dataset (fed to inputs.input_ids)", "INT32", "element type INT64");
        failsNaming("bad_shape.npz", "engine.dataset (fed to inputs.input_ids)", "[6]", "[N, 8]");
        failsNaming("bad_sample_count.npz", "engine.dataset.data", "has 40 samples", "has 48");
    }

    @Test
    void aConstantForAnInputTheModelLacksAndRecurrentStateAreRefused() throws Exception {
        Map<String, Object> config = config("multi_input.onnx", "data.npz", List.of(Map.of("name", "similarity")),
                minMax());
        @SuppressWarnings("unchecked")
        Map<String, Object> engine = new LinkedHashMap<>((Map<String, Object>) config.get("engine"));
        engine.put("constant_inputs", Map.of("scale", 0.5, "sr", 16000));
        Run unknown = run(Map.of("model", config.get("model"), "engine", engine, "compression",
                config.get("compression")), temp);
        assertEquals("engine.constant_inputs.sr", unknown.last().details().get("field"), unknown.last().message());
        engine.put("constant_inputs", Map.of("scale", 0.5));
        engine.put("recurrent_inputs", Map.of("h", "hn"));
        Run recurrent = run(Map.of("model", config.get("model"), "engine", engine, "compression",
                config.get("compression")), temp);
        assertEquals(JobState.REJECTED, recurrent.result().state());
        assertTrue(recurrent.last().message().contains("not supported"), recurrent.last().message());
        assertFalse(Files.exists(temp.resolve("multi_input")));
    }
}
