package org.pot4j.orchestrator.internal.job;

import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.optimizer.TrialMeasurement;
import org.pot4j.api.optimizer.TrialSettings;
import org.pot4j.api.registry.PluginRegistry;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.model.ModelPreparation;
import org.pot4j.model.OnnxCodec;

/**
 * What a server builds to measure trials of a tuning job another server owns (trials over Kafka): the job's model,
 * data and pipeline up to the search space, as the owner built them (the statistics from this server's cache, filled
 * on first use), kept open for the job's next trials. It emits no job events: the owner reports the trials.
 */
public final class TrialBench implements AutoCloseable {
    private final String configKey;
    private final Dataset main;
    private final Dataset separateCalibration;
    private final TrialMeter meter;

    private TrialBench(String configKey, Dataset main, Dataset separateCalibration, TrialMeter meter) {
        this.configKey = configKey;
        this.main = main;
        this.separateCalibration = separateCalibration;
        this.meter = meter;
    }

    /** Builds the bench of a tuning job's {@code pipeline}; {@code configKey} tells one job configuration from another. */
    public static TrialBench open(String jobId, String configKey, Pipeline pipeline, PluginRegistry registry,
                                  Jobs.Settings settings, BooleanSupplier cancelled) throws Exception {
        if (pipeline.optimizer() == null) {
            throw new InvalidInputException("optimizer", null, "a trial belongs to a job with an optimizer section");
        }
        if (pipeline.metrics().isEmpty()) {
            throw new InvalidInputException("engine.metrics", "[]", "a tuning job's trials are evaluated: give a metric");
        }
        Graph original = OnnxCodec.read(pipeline.config().modelPath());
        ModelPreparation.prepare(original);
        Dataset main = pipeline.openDataset();
        Dataset separate = null;
        try {
            separate = pipeline.hasSeparateCalibration() ? pipeline.openCalibrationDataset() : null;
            Dataset calibration = separate != null ? separate : main;
            Map<String, Tensor> constants = InputFeed.constants(pipeline, original);
            InputFeed calibrationFeed = InputFeed.forDataset(original, constants, calibration, settings.batchSize(),
                    pipeline.calibrationDatasetField());
            InputFeed validationFeed = main == calibration ? calibrationFeed
                    : InputFeed.forDataset(original, constants, main, settings.batchSize(), pipeline.datasetField());
            JobEvents silent = new JobEvents(jobId, List::of);
            Workspace workspace = new Workspace(jobId, pipeline, registry, silent, cancelled, settings, original,
                    calibration, calibrationFeed, main, validationFeed, null, settings.statisticsCache());
            return new TrialBench(configKey, main, separate, TrialMeter.prepare(workspace, pipeline.optimizer()));
        } catch (Exception | Error e) {
            closeQuietly(separate);
            closeQuietly(main);
            throw e;
        }
    }

    public String configKey() {
        return configKey;
    }

    public TrialMeasurement measure(Map<String, String> choices, TrialSettings settings) throws Exception {
        meter.checkChoices(choices);
        return meter.measure(choices, settings);
    }

    @Override
    public void close() {
        closeQuietly(separateCalibration);
        closeQuietly(main);
    }

    private static void closeQuietly(Dataset dataset) {
        if (dataset != null) {
            try {
                dataset.close();
            } catch (Exception e) {
                // closing a reader
            }
        }
    }
}
