package org.pot4j.orchestrator.internal.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobResult;
import org.pot4j.api.job.JobState;
import org.pot4j.api.job.ModelSnapshot;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;
import org.pot4j.api.registry.PluginRegistry;
import org.pot4j.model.AtomicFiles;
import org.pot4j.model.ModelPreparation;
import org.pot4j.model.OnnxCodec;
import org.pot4j.model.QdqWriter;

/**
 * One quantization job: load the model and data, evaluate FP32 when annotated, run the configured
 * algorithms in order, write the QDQ model, evaluate INT8, and write model and report atomically to
 * {@code OUTDIR/<model_name>/}.
 */
final class QuantizationJob {
    static final String VERSION = "0.1.0";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String jobId;
    private final Pipeline pipeline;
    private final PluginRegistry registry;
    private final JobRequest request;
    private final JobEvents events;
    private final BooleanSupplier cancelled;
    private final Jobs.Settings settings;
    private final Map<String, Double> stageSeconds = new LinkedHashMap<>();
    private final Map<String, Double> stagePeakRss = new LinkedHashMap<>();
    private MemorySampler memory;

    QuantizationJob(String jobId, Pipeline pipeline, PluginRegistry registry, JobRequest request, JobEvents events,
                    BooleanSupplier cancelled, Jobs.Settings settings) {
        this.jobId = jobId;
        this.pipeline = pipeline;
        this.registry = registry;
        this.request = request;
        this.events = events;
        this.cancelled = cancelled;
        this.settings = settings;
    }

    JobResult run() throws Exception {
        try (MemorySampler sampler = new MemorySampler(jobId)) {
            memory = sampler;
            return runSampled();
        }
    }

    private JobResult runSampled() throws Exception {
        long start = System.nanoTime();
        String modelName = pipeline.config().modelName();
        Path outputRoot = request.outputDirectory() == null ? null : request.outputDirectory().resolve(modelName);

        long t = begin("load model");
        Graph original = OnnxCodec.read(pipeline.config().modelPath());
        // before any data is read: a model whose opset cannot carry QDQ fails here, naming the node
        List<String> preparation = ModelPreparation.prepare(original);
        Jobs.checkBatchSize(pipeline, original);
        end("load model", t);

        try (Dataset main = pipeline.openDataset();
             Dataset separateCalibration = pipeline.hasSeparateCalibration() ? pipeline.openCalibrationDataset() : null) {
            Dataset calibration = separateCalibration != null ? separateCalibration : main;
            requireSamples(pipeline.config().statisticsDataset(), calibration);
            checkSubsetSizes(calibration.size());
            Dataset validation = pipeline.metrics().isEmpty() ? null : main;
            // every input of the model is bound (named, typed, shaped) before any data is run
            Map<String, Tensor> constants = InputFeed.constants(pipeline, original);
            InputFeed calibrationFeed = InputFeed.forDataset(original, constants, calibration, settings.batchSize(),
                    pipeline.calibrationDatasetField());
            InputFeed validationFeed = validation == null ? null : validation == calibration ? calibrationFeed
                    : InputFeed.forDataset(original, constants, validation, settings.batchSize(), pipeline.datasetField());
            Workspace workspace = new Workspace(jobId, pipeline, registry, events, cancelled, settings, original,
                    calibration, calibrationFeed, validation, validationFeed,
                    outputRoot == null ? null : outputRoot.resolve("intermediate"), settings.statisticsCache());
            workspace.report.put("batch_size", calibrationFeed.batchSize());
            if (calibrationFeed.batchReason() != null) {
                workspace.report.put("batch_size_reason", calibrationFeed.batchReason());
            }

            Map<String, Double> fp32 = null;
            if (validation != null) {
                t = begin("fp32 evaluation");
                fp32 = workspace.evaluator == null ? null
                        : new JobContext(workspace, org.pot4j.api.params.Parameters.empty("")).evaluate(original, null, null)
                        .values();
                events.emit(JobEventType.METRIC, "fp32", null, fp32, Map.of("model", "fp32"));
                end("fp32 evaluation", t);
            }

            if (pipeline.optimizer() == null) {
                for (Pipeline.AlgorithmStep step : pipeline.algorithms()) {
                    t = System.nanoTime();
                    memory.mark();
                    JobContext.runAlgorithm(workspace, step.name(), step.algorithm(), step.parameters());
                    end(step.name(), t);
                }
            } else {
                t = System.nanoTime();
                memory.mark();
                Map<String, String> chosen = new Tuning(workspace, pipeline.optimizer(), outputRoot, request).run();
                workspace.report.put("chosen", chosen);
                end("optimizer " + pipeline.optimizer().name(), t);
            }
            checkCancelled();

            t = begin("write model");
            Graph quantized = QdqWriter.apply(workspace.model, workspace.plan);
            quantized.metadata().put("pot4j.version", VERSION);
            quantized.metadata().put("pot4j.config", JSON.writeValueAsString(request.config()));
            byte[] bytes = OnnxCodec.write(quantized);
            end("write model", t);

            Map<String, Double> int8 = null;
            if (validation != null) {
                t = begin("int8 evaluation");
                EvaluationResult result = new JobContext(workspace, org.pot4j.api.params.Parameters.empty(""))
                        .evaluate(workspace.model, workspace.plan, null);
                int8 = result.values();
                events.emit(JobEventType.METRIC, "int8", null, int8, Map.of("model", "int8"));
                end("int8 evaluation", t);
            }
            checkCancelled();

            Path modelFile = outputRoot == null ? null : outputRoot.resolve("optimized").resolve(modelName + ".onnx");
            Path reportFile = outputRoot == null ? null : outputRoot.resolve("report.json");
            // POT writes each run to a new folder; pot4j keeps the fixed OUTDIR/<model_name> path, so a rerun says
            // that it replaced the results there instead of doing it silently
            Boolean replacing = outputRoot == null ? null : Files.exists(modelFile) || Files.exists(reportFile);
            FloatCompute floatCompute = FloatCompute.of(workspace.model, workspace.plan);
            String warning = floatCompute.warning(workspace.plan.quantizedNodes().size());
            Map<String, Object> report = report(workspace, fp32, int8, (System.nanoTime() - start) / 1e9);
            report.put("model_preparation", preparation);
            report.put("float_layers", floatCompute.floatLayers());
            if (warning != null) {
                report.put("warning", warning);
            }
            if (replacing != null) {
                report.put("replaced_previous_results", replacing);
            }
            if (outputRoot != null) {
                try {
                    if (OnnxCodec.hasExternalData(quantized)) {
                        OnnxCodec.write(quantized, modelFile); // weights in a side file, as the model came
                    } else {
                        AtomicFiles.write(modelFile, bytes);
                    }
                    AtomicFiles.write(reportFile, JSON.writeValueAsBytes(report));
                } catch (IOException e) {
                    throw new Pot4jException("OUTPUT_ERROR", "cannot write to " + outputRoot + ": "
                            + OutputFolder.reason(e), e);
                }
            }
            events.snapshot(new ModelSnapshot(jobId, jobId + "-final", "final", true, bytes,
                    int8 == null ? Map.of() : int8));

            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("model_name", modelName);
            if (modelFile != null) {
                summary.put("model", modelFile.toString());
                summary.put("replaced_previous_results", replacing);
            }
            if (fp32 != null) {
                summary.put("fp32_metrics", fp32);
                summary.put("int8_metrics", int8);
            }
            summary.put("quantized_layers", workspace.plan.quantizedNodes().size());
            summary.put("ignored_nodes", workspace.plan.ignoredNodes().size());
            summary.put("float_layers", floatCompute.floatLayers().size());
            if (warning != null) {
                summary.put("warning", warning);
            }
            summary.put("seconds", Math.round((System.nanoTime() - start) / 1e6) / 1000.0);
            return new JobResult(jobId, JobState.COMPLETED, modelFile, reportFile, summary, null,
                    "quantized " + modelName + " (" + workspace.plan.quantizedNodes().size() + " layers)");
        }
    }

    private Map<String, Object> report(Workspace workspace, Map<String, Double> fp32, Map<String, Double> int8,
                                       double seconds) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("job_id", jobId);
        report.put("pot4j_version", VERSION);
        report.put("model_name", pipeline.config().modelName());
        report.put("model", pipeline.config().modelPath().toString());
        report.put("target_device", pipeline.deviceName());
        report.put("hardware_properties", pipeline.device().hardwareConfig().properties());
        report.put("algorithms", pipeline.algorithms().stream().map(a -> Map.of("name", a.name(),
                "params", a.parameters().asMap())).toList());
        if (pipeline.optimizer() != null) {
            report.put("optimizer", Map.of("name", pipeline.optimizer().name(),
                    "params", pipeline.optimizer().parameters().asMap()));
        }
        if (fp32 != null) {
            report.put("fp32", Map.of("metrics", fp32));
            report.put("int8", Map.of("metrics", int8));
            Map<String, Double> drop = new LinkedHashMap<>();
            fp32.forEach((name, value) -> drop.put(name, value - int8.getOrDefault(name, Double.NaN)));
            report.put("drop", drop);
        }
        report.put("quantization_points", points(workspace.plan));
        List<Map<String, Object>> ignored = new ArrayList<>();
        workspace.plan.ignoredNodes().forEach((node, why) -> ignored.add(Map.of("node", node, "reason", why)));
        report.putAll(workspace.report);
        // the final plan's, after the algorithms' own reports: MinMax's list misses the layers AccuracyAware reverted
        report.put("ignored_nodes", ignored);
        report.put("stage_seconds", stageSeconds);
        if (memory.jobPeakMegabytes() >= 0) {
            // resident memory of the whole process, sampled every 20 ms: the figure to compare with the machine's
            report.put("stage_peak_rss_mb", stagePeakRss);
            report.put("peak_rss_mb", memory.jobPeakMegabytes());
        }
        report.put("seconds", Math.round(seconds * 1000) / 1000.0);
        return report;
    }

    private static List<Map<String, Object>> points(QuantizationPlan plan) {
        List<Map<String, Object>> points = new ArrayList<>();
        for (Map.Entry<QuantizationPoint, Quantizer> entry : plan.quantizers().entrySet()) {
            QuantizationPoint point = entry.getKey();
            Quantizer quantizer = entry.getValue();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("node", point.nodeName());
            if (QdqWriter.isOutputPoint(point)) {
                row.put("output", 0);
            } else {
                row.put("input", point.inputIndex());
            }
            row.put("tensor", point.tensor());
            row.put("kind", point.kind().name().toLowerCase());
            row.put("bits", quantizer.bits());
            row.put("mode", quantizer.symmetric() ? "symmetric" : "asymmetric");
            row.put("granularity", quantizer.perChannel() ? "perchannel" : "pertensor");
            row.put("level_low", quantizer.levelLow());
            row.put("level_high", quantizer.levelHigh());
            if (quantizer.hasRange()) {
                row.put("scale", quantizer.perChannel() ? quantizer.scales() : quantizer.scales()[0]);
                row.put("zero_point", quantizer.perChannel() ? quantizer.zeroPoints() : quantizer.zeroPoints()[0]);
            }
            row.put("range_source", quantizer.rangeSource());
            points.add(row);
        }
        return points;
    }

    /**
     * A calibration dataset without samples is named as such, whatever its loader (a stat_subset_size check would
     * otherwise blame the subset size: "at most the calibration dataset's size, 0").
     */
    private static void requireSamples(org.pot4j.orchestrator.internal.config.JobConfig.DatasetConfig config,
                                       Dataset dataset) {
        if (config != null && dataset.size() == 0) {
            throw new org.pot4j.api.InvalidInputException(config.path(), config.loader(),
                    "has no samples: give data with at least one sample");
        }
    }

    /** A stat_subset_size the user wrote that the calibration data cannot fill is an error, not a silent clamp. */
    private void checkSubsetSizes(int available) {
        for (org.pot4j.orchestrator.internal.config.JobConfig.NamedBlock block : pipeline.config().algorithms()) {
            if (block.parameters().has("stat_subset_size")
                    && block.parameters().integer("stat_subset_size") > available) {
                throw new org.pot4j.api.InvalidInputException(block.parameters().pathOf("stat_subset_size"),
                        block.parameters().integer("stat_subset_size"),
                        "at most the calibration dataset's size, " + available);
            }
        }
    }

    private long begin(String stage) {
        checkCancelled();
        events.stage(stage);
        memory.mark();
        return System.nanoTime();
    }

    private void end(String stage, long startNanos) {
        stageSeconds.merge(stage, Math.round((System.nanoTime() - startNanos) / 1e6) / 1000.0, Double::sum);
        double peak = memory.peakMegabytes();
        if (peak >= 0) {
            stagePeakRss.merge(stage, peak, Math::max);
        }
    }

    private void checkCancelled() {
        if (cancelled.getAsBoolean()) {
            throw new Pot4jException("CANCELLED", "job " + jobId + " was cancelled");
        }
    }
}
