package org.pot4j.orchestrator.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.algorithm.tunable.internal.TunableQuantization;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobResult;
import org.pot4j.api.job.JobState;
import org.pot4j.api.job.ModelSnapshot;
import org.pot4j.backend.onnxruntime.internal.OnnxRuntimeBackend;
import org.pot4j.device.any.internal.AnyDevice;
import org.pot4j.loader.idx.internal.IdxDataLoader;
import org.pot4j.metric.accuracy.internal.AccuracyMetric;
import org.pot4j.optimizer.tpe.internal.Tpe;
import org.pot4j.orchestrator.internal.registry.PluginRegistryImpl;
import org.pot4j.testsupport.TestFiles;

/**
 * Tuning jobs end to end on cnn_relu_outlier with the real backend, loader, metric, MinMax, TunableQuantization and
 * Tpe, few trials on a small evaluation subset: the trial log, events and snapshots, and the four
 * trials_load_method values (cold_start, warm_start continuing the log, eval without trials, fine_tune).
 */
class TuningJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static JobServiceImpl jobs;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() {
        PluginRegistryImpl registry = new PluginRegistryImpl(id -> new PluginRegistryImpl.Origin("test", "0"));
        registry.bindLoader(new IdxDataLoader(), props("pot4j.loader", "idx"));
        registry.bindMetric(new AccuracyMetric(), props("pot4j.metric", "accuracy"));
        registry.bindDevice(new AnyDevice(), props("pot4j.device", "ANY"));
        registry.bindBackend(new OnnxRuntimeBackend(), props("pot4j.backend", "onnxruntime"));
        MinMaxQuantization minMax = new MinMaxQuantization();
        registry.bindAlgorithm(minMax, props("pot4j.algorithm", "MinMaxQuantization"));
        registry.bindAlgorithm(new TunableQuantization(minMax), props("pot4j.algorithm", "TunableQuantization"));
        registry.bindOptimizer(new Tpe(), props("pot4j.optimizer", "Tpe"));
        registry.bindAlgorithm(new org.pot4j.algorithm.activationchannelalignment.internal.ActivationChannelAlignment(),
                props("pot4j.algorithm", "ActivationChannelAlignment"));
        registry.bindAlgorithm(new org.pot4j.algorithm.fastbiascorrection.internal.FastBiasCorrection(),
                props("pot4j.algorithm", "FastBiasCorrection"));
        jobs = JobServiceImplTest.jobService(registry, 50);
    }

    private static Map<String, Object> props(String key, String name) {
        return JobServiceImplTest.props(key, name);
    }

    private static Map<String, Object> config(Map<String, Object> tunableParams, Map<String, Object> optimizerParams) {
        Map<String, Object> params = new LinkedHashMap<>(Map.of("stat_subset_size", 64));
        params.putAll(tunableParams);
        return Map.of("model", Map.of("model_name", "outlier", "model", TestFiles.model("cnn_relu_outlier").toString()),
                "engine", Map.of("type", "accuracy_checker",
                        "dataset", Map.of("loader", "idx", "images", TestFiles.testImages().toString(),
                                "labels", TestFiles.testLabels().toString()),
                        "calibration_dataset", Map.of("loader", "idx", "images",
                                TestFiles.calibrationImages().toString()),
                        "metrics", List.of(Map.of("name", "accuracy", "top_k", 1))),
                "compression", Map.of("target_device", "ANY", "algorithms",
                        List.of(Map.of("name", "TunableQuantization", "params", params))),
                "optimizer", Map.of("name", "Tpe", "params", optimizerParams));
    }

    private static Map<String, Object> tpe(String loadMethod, int maxTrials) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("max_trials", maxTrials);
        params.put("trials_load_method", loadMethod);
        params.put("eval_subset_size", 200);
        params.put("accuracy_loss", 0.5);
        params.put("n_startup_trials", 3);
        params.put("seed", 5);
        params.put("benchmark", Map.of("duration_seconds", 0.1, "nthreads", 1, "benchmark_app_dir", "/opt/x",
                "nstreams", 1));
        return params;
    }

    private record Run(JobResult result, List<JobEvent> events, List<ModelSnapshot> snapshots) {
        List<JobEvent> trials() {
            return events.stream().filter(e -> e.type() == JobEventType.METRIC && "trial".equals(e.stage())).toList();
        }
    }

    private Run run(Map<String, Object> config, Path output) throws Exception {
        return run(null, config, output);
    }

    private Run run(String jobId, Map<String, Object> config, Path output) throws Exception {
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        List<ModelSnapshot> snapshots = new CopyOnWriteArrayList<>();
        JobResult result = jobs.submit(new JobRequest(jobId, config, null, output, "cli"),
                new org.pot4j.api.job.JobEventSink() {
                    public void onEvent(JobEvent event) {
                        events.add(event);
                    }

                    public void onSnapshot(ModelSnapshot snapshot) {
                        snapshots.add(snapshot);
                    }
                }).get(300, TimeUnit.SECONDS);
        return new Run(result, events, snapshots);
    }

    private static List<JsonNode> trialLog(Path output) throws Exception {
        List<JsonNode> trials = new ArrayList<>();
        for (String line : Files.readAllLines(output.resolve("outlier/trials.jsonl"))) {
            JsonNode record = JSON.readTree(line);
            if (record.get("type").asText().equals("trial")) {
                trials.add(record);
            }
        }
        return trials;
    }

    private static JsonNode report(Path output) throws Exception {
        return JSON.readTree(output.resolve("outlier/report.json").toFile());
    }

    @Test
    void layerTuningLogsEveryTrialAndResumesFromTheLog() throws Exception {
        Path output = temp.resolve("out");
        Run cold = run(config(Map.of("tuning_scope", List.of("layer")), tpe("cold_start", 5)), output);
        assertEquals(JobState.COMPLETED, cold.result().state(), cold.result().message());
        assertEquals(5, cold.trials().size(), "one event per trial");
        JobEvent first = cold.trials().get(0);
        for (String key : List.of("choices", "accuracy", "latency_ratio", "loss", "best_trial", "server")) {
            assertTrue(first.details().containsKey(key), key + " in " + first.details());
        }
        assertTrue(first.details().get("latency_ratio") instanceof Double ratio && ratio > 0, "a measured ratio");
        assertTrue(cold.events().stream().anyMatch(e -> e.message() != null && e.message().contains("benchmark_app_dir")
                && e.message().contains("nstreams")), "POT-only benchmark keys are named in a warning");
        assertFalse(cold.snapshots().stream().filter(s -> !s.isFinal()).toList().isEmpty(), "a best-model snapshot");
        List<JsonNode> log = trialLog(output);
        assertEquals(5, log.size());
        assertTrue(log.get(0).get("reference").asBoolean(), "the untuned configuration is trial 0");
        JsonNode report = report(output);
        JsonNode tpe = report.get("tpe");
        assertEquals(5, tpe.get("trials").size());
        assertFalse(tpe.get("pareto_front").isEmpty());
        int best = tpe.get("best_trial").asInt();
        assertEquals(log.get(best).get("choices"), report.get("chosen"), "the final model is the best trial's");
        int layers = report.get("search_space").size();
        assertTrue(layers >= 2, "cnn_relu_outlier has several quantized layers");
        long kept = 0;
        var fields = report.get("chosen").fields();
        while (fields.hasNext()) {
            kept += fields.next().getValue().asText().equals("float") ? 1 : 0;
        }
        assertEquals(kept, report.get("ignored_nodes").size(), "every layer chosen float is left out of the plan");
        for (JsonNode point : report.get("quantization_points")) {
            assertEquals("default", report.get("chosen").get(point.get("node").asText()).asText(),
                    "the report's points are the written plan's: no point on a layer chosen float");
        }

        // warm_start: continues numbering from the log to max_trials
        Run warm = run(config(Map.of("tuning_scope", List.of("layer")), tpe("warm_start", 8)), output);
        assertEquals(JobState.COMPLETED, warm.result().state(), warm.result().message());
        assertEquals(List.of(5, 6, 7), warm.trials().stream().map(e -> ((Number) e.details().get("trial")).intValue())
                .toList(), "only the missing trials run, numbered after the logged ones");
        log = trialLog(output);
        assertEquals(8, log.size());
        for (int i = 0; i < log.size(); i++) {
            assertEquals(i, log.get(i).get("trial").asInt(), "numbers continue without gaps or repeats");
        }
        assertEquals(5, report(output).get("tpe").get("trials_from_log").asInt());

        // eval: no trial runs, the log's best model is rebuilt
        Run eval = run(config(Map.of("tuning_scope", List.of("layer")), tpe("eval", 8)), output);
        assertEquals(JobState.COMPLETED, eval.result().state(), eval.result().message());
        assertEquals(0, eval.trials().size());
        assertEquals(8, trialLog(output).size());
        JsonNode evalReport = report(output);
        assertEquals(log.get(evalReport.get("tpe").get("best_trial").asInt()).get("choices"), evalReport.get("chosen"));

        // cold_start: starts over
        Run again = run(config(Map.of("tuning_scope", List.of("layer")), tpe("cold_start", 2)), output);
        assertEquals(JobState.COMPLETED, again.result().state(), again.result().message());
        assertEquals(2, trialLog(output).size());
    }

    /**
     * With a trial transport (serve's, here in one process: {@link InMemoryTrialTransport}) three trials run at once
     * and finish in any order, each recorded once; a job whose log it started and did not end (its server died) is
     * continued whatever the load method: trials measured but not recorded are recorded, trials proposed and not
     * measured are measured under their own numbers with their own choices, and none is counted twice.
     */
    @Test
    void trialsInParallelAreEachRecordedOnceAndADeadOwnersRunIsContinued() throws Exception {
        Path output = temp.resolve("parallel");
        String logId = output.resolve("outlier").toAbsolutePath().normalize().toString();
        try (InMemoryTrialTransport transport = new InMemoryTrialTransport(jobs, 3)) {
            jobs.setTrialTransport(transport);
            Map<String, Object> config = config(Map.of("tuning_scope", List.of("layer")), tpe("cold_start", 7));
            Run first = run("parallel-job", config, output);
            assertEquals(JobState.COMPLETED, first.result().state(), first.result().message());
            Map<String, Map<String, Object>> log = transport.log(logId);
            assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), trialNumbers(log), "seven trials, each once: " + log.keySet());
            assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), first.trials().stream()
                    .map(e -> ((Number) e.details().get("trial")).intValue()).sorted().toList());
            assertTrue(first.trials().stream().allMatch(e -> String.valueOf(e.details().get("server"))
                    .startsWith("worker-")), "the server that measured each trial is named");
            assertFalse(Files.exists(output.resolve("outlier/trials.jsonl")), "the log is the transport's");

            // the owner died: trials 5 and 6 were never measured, 3 was proposed, 4 measured but not recorded
            log.remove("end");
            log.remove("trial-000005");
            log.remove("trial-000006");
            Map<String, Object> proposed = log.get("trial-000003");
            log.put("trial-000003", new LinkedHashMap<>(Map.of("type", "proposed", "trial", 3, "choices",
                    proposed.get("choices"))));
            log.get("trial-000004").remove("loss");
            Run heir = run("parallel-job", config(Map.of("tuning_scope", List.of("layer")), tpe("cold_start", 7)),
                    output);
            assertEquals(JobState.COMPLETED, heir.result().state(), heir.result().message());
            assertTrue(heir.events().stream().anyMatch(e -> e.message() != null
                    && e.message().contains("continuing that run")), "said, not silent");
            assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), trialNumbers(log), "each trial once after the take-over");
            assertEquals(proposed.get("choices"), log.get("trial-000003").get("choices"),
                    "the proposed trial is measured with its own choices");
            assertEquals(List.of(3, 4, 5, 6), heir.trials().stream()
                    .map(e -> ((Number) e.details().get("trial")).intValue()).sorted().toList(),
                    "the recorded trials are not announced again; the unrecorded one is");
            assertEquals(4, report(output).get("tpe").get("trials_from_log").asInt(), "0, 1, 2 and 4");
        } finally {
            jobs.unsetTrialTransport(jobs.trialTransport());
        }
    }

    private static List<Integer> trialNumbers(Map<String, Map<String, Object>> log) {
        return log.values().stream().filter(r -> "trial".equals(r.get("type")))
                .map(r -> ((Number) r.get("trial")).intValue()).sorted().toList();
    }

    @Test
    void rangeEstimatorTuningOffersTheOutlierProbabilitiesPerLayer() throws Exception {
        Path output = temp.resolve("ranges");
        Map<String, Object> params = tpe("cold_start", 3);
        params.put("latency_weight", 0.0);
        Run run = run(config(Map.of("tuning_scope", List.of("range_estimator"),
                "estimator_tuning_scope", List.of("preset", "outlier_prob"),
                "outlier_prob_choices", List.of(1e-3, 1e-4, 1e-5)), params), output);
        assertEquals(JobState.COMPLETED, run.result().state(), run.result().message());
        JsonNode space = report(output).get("search_space");
        assertEquals(List.of("default", "quantile@1e-3", "quantile@1e-4", "quantile@1e-5"),
                JSON.convertValue(space.get(0).get("choices"), List.class));
        assertEquals(3, trialLog(output).size());
    }

    /**
     * POT's two recommended configurations as shipped in examples/ (only the paths adapted) are accepted as they are:
     * every key, name and parameter is valid (running them takes hours: 200 trials with a 30 s benchmark each).
     */
    @Test
    void potsTwoBestPracticeConfigurationsAreAccepted() throws Exception {
        for (String name : List.of("tpe-range-estimator.json", "tpe-layer.json")) {
            Path file = TestFiles.example(name);
            Map<String, Object> config = org.pot4j.config.support.ConfigFiles.read(file);
            jobs.validate(new JobRequest(null, config, file.getParent(), temp.resolve("v"), "cli"));
            @SuppressWarnings("unchecked")
            Map<String, Object> params = (Map<String, Object>) ((Map<String, Object>) config.get("optimizer")).get("params");
            assertEquals(200, params.get("max_trials"), "POT's value, unchanged");
        }
    }

    @Test
    void withoutAnOptimizerTunableQuantizationIsMinMax() throws Exception {
        Map<String, Object> config = new LinkedHashMap<>(config(Map.of("tuning_scope", List.of("range_estimator")),
                Map.of()));
        config.remove("optimizer");
        Run run = run(config, temp.resolve("plain"));
        assertEquals(JobState.COMPLETED, run.result().state(), run.result().message());
        assertTrue(run.trials().isEmpty());
        assertFalse(Files.exists(temp.resolve("plain/outlier/trials.jsonl")), "no trial log without an optimizer");
        assertTrue(report(temp.resolve("plain")).get("quantization_points").size() > 0);
    }

    @Test
    void badInputNamesTheField() throws Exception {
        Path output = temp.resolve("bad");
        Run scope = run(config(Map.of("tuning_scope", List.of("bits")), tpe("cold_start", 2)), output);
        assertEquals(JobState.FAILED, scope.result().state());
        assertTrue(scope.result().message().contains("tuning_scope[0]"), scope.result().message());
        Run eval = run(config(Map.of(), tpe("eval", 2)), temp.resolve("empty"));
        assertEquals(InvalidInputException.CODE, eval.result().code(), eval.result().message());
        assertTrue(eval.result().message().contains("trials_load_method"), eval.result().message());
        Map<String, Object> params = tpe("cold_start", 2);
        params.put("max_trial", 3);
        Run typo = run(config(Map.of(), params), temp.resolve("typo"));
        assertEquals(JobState.REJECTED, typo.result().state());
        assertTrue(typo.result().message().contains("optimizer.params.max_trial"), typo.result().message());
    }
}
