package org.pot4j.orchestrator.internal.job;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.registry.PluginRegistry;

/**
 * The mutable state of one quantization job, shared by the contexts of the algorithms it runs:
 * the working model and plan, the data, the report being built.
 */
final class Workspace {
    final String jobId;
    final Pipeline pipeline;
    final PluginRegistry registry;
    final JobEvents events;
    final BooleanSupplier cancelled;
    final Jobs.Settings settings;
    final Graph originalModel;
    final Dataset calibration;
    final Dataset validation;
    /** How calibration samples feed the model (its inputs, constants and batch). */
    final InputFeed calibrationFeed;
    final Evaluator evaluator;
    final Path intermediateDirectory;
    final StatisticsCache statisticsCache;
    final Map<String, Object> report = new LinkedHashMap<>();
    volatile Graph model;
    volatile QuantizationPlan plan = new QuantizationPlan();
    int snapshots;
    /** The FP32 model's metrics on the whole validation set, computed once per job. */
    volatile org.pot4j.api.algorithm.EvaluationResult fp32Evaluation;
    /** Evaluations running now, to divide the cores between them. */
    final java.util.concurrent.atomic.AtomicInteger evaluations = new java.util.concurrent.atomic.AtomicInteger();

    Workspace(String jobId, Pipeline pipeline, PluginRegistry registry, JobEvents events, BooleanSupplier cancelled,
              Jobs.Settings settings, Graph originalModel, Dataset calibration, InputFeed calibrationFeed,
              Dataset validation, InputFeed validationFeed, Path intermediateDirectory,
              StatisticsCache statisticsCache) {
        this.jobId = jobId;
        this.pipeline = pipeline;
        this.registry = registry;
        this.events = events;
        this.cancelled = cancelled;
        this.settings = settings;
        this.originalModel = originalModel;
        this.model = originalModel.copy();
        this.calibration = calibration;
        this.calibrationFeed = calibrationFeed;
        this.validation = validation;
        this.evaluator = validation == null ? null : new Evaluator(validation, validationFeed, pipeline.metrics());
        this.intermediateDirectory = intermediateDirectory;
        this.statisticsCache = statisticsCache;
    }
}
