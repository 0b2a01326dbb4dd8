package org.pot4j.orchestrator.internal.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.pot4j.api.params.Parameters;

/**
 * A parsed, structurally validated POT-style job configuration ({@code statisticsRequests}: POT's engine
 * {@code stat_requests_number}, parallel inference requests of a statistics pass, 1 unless set;
 * {@code evaluationRequests}: its {@code eval_requests_number}, the same for an evaluation; {@code batchSize}: engine
 * {@code batch_size}, samples per inference call of evaluations and statistics passes, null for the job service's;
 * {@code constantInputs}: engine {@code constant_inputs}, model input name to a JSON number or nested list, fed to
 * every run; {@code optimizer}: the optimizer section, null when the job has none).
 * Plugin names are checked later,
 * against the services that are live when the job is assembled.
 */
public record JobConfig(String modelName, Path modelPath, String engineType, DatasetConfig dataset,
                        DatasetConfig calibrationDataset, List<NamedBlock> metrics, String targetDevice,
                        String modelType, List<NamedBlock> algorithms, int statisticsRequests,
                        int evaluationRequests, Integer batchSize, Map<String, Object> constantInputs,
                        NamedBlock optimizer,
                        Map<String, Object> raw) {

    /** A dataset block: the loader's name and the rest of the block as its parameters. */
    public record DatasetConfig(String loader, Parameters parameters, String path) {
    }

    /** A metric or algorithm: its name and its parameters. */
    public record NamedBlock(String name, Parameters parameters, String path) {
    }

    public boolean annotated() {
        return !metrics.isEmpty();
    }

    /** The dataset statistics are collected on. */
    public DatasetConfig statisticsDataset() {
        return calibrationDataset != null ? calibrationDataset : dataset;
    }
}
