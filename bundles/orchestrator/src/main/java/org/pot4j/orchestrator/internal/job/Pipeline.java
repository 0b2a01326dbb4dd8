package org.pot4j.orchestrator.internal.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.data.DataLoader;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.device.TargetDevice;
import org.pot4j.api.metric.Metric;
import org.pot4j.api.optimizer.Optimizer;
import org.pot4j.api.optimizer.TunableAlgorithm;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.registry.PluginKind;
import org.pot4j.api.registry.PluginRegistry;
import org.pot4j.orchestrator.internal.config.JobConfig;

/**
 * A job's pipeline assembled from the services that are live now: loader(s), metrics, device,
 * backend and algorithms, with every parameter block validated against its plugin's declaration.
 * Unknown names are rejected naming what is available.
 */
public final class Pipeline {

    /** An algorithm of the job with its validated parameters. */
    public record AlgorithmStep(String name, QuantizationAlgorithm algorithm, Parameters parameters) {
    }

    /** The job's optimizer with its validated parameters, and the index of the tunable algorithm it tunes. */
    public record OptimizerStep(String name, Optimizer optimizer, Parameters parameters, int tunableIndex) {
    }

    private final JobConfig config;
    private final DataLoader loader;
    private final DataLoader calibrationLoader;
    private final List<MetricSpec> metrics;
    private final String deviceName;
    private final TargetDevice device;
    private final InferenceBackend backend;
    private final List<AlgorithmStep> algorithms;
    private final OptimizerStep optimizer;
    private final UsedPlugins used;

    private Pipeline(JobConfig config, DataLoader loader, DataLoader calibrationLoader, List<MetricSpec> metrics,
                     String deviceName, TargetDevice device, InferenceBackend backend, List<AlgorithmStep> algorithms,
                     OptimizerStep optimizer, UsedPlugins used) {
        this.config = config;
        this.loader = loader;
        this.calibrationLoader = calibrationLoader;
        this.metrics = metrics;
        this.deviceName = deviceName;
        this.device = device;
        this.backend = backend;
        this.algorithms = algorithms;
        this.optimizer = optimizer;
        this.used = used;
    }

    /** Resolves every name of {@code config}; {@code needAlgorithms} false for evaluate. */
    public static Pipeline assemble(JobConfig config, PluginRegistry registry, boolean needAlgorithms) {
        UsedPlugins used = new UsedPlugins(registry);
        requireModelFile("model.model", config.modelPath());
        DataLoader loader = null;
        DataLoader calibrationLoader = null;
        if (config.dataset() != null) {
            loader = used.use(PluginKind.LOADER, config.dataset().loader(), require(registry, PluginKind.LOADER,
                    config.dataset().loader(), config.dataset().path() + ".loader", registry::loader));
        }
        if (config.calibrationDataset() != null) {
            calibrationLoader = used.use(PluginKind.LOADER, config.calibrationDataset().loader(), require(registry,
                    PluginKind.LOADER, config.calibrationDataset().loader(), config.calibrationDataset().path() + ".loader",
                    registry::loader));
        }
        List<MetricSpec> metrics = new ArrayList<>();
        for (JobConfig.NamedBlock block : config.metrics()) {
            Metric metric = used.use(PluginKind.METRIC, block.name(),
                    require(registry, PluginKind.METRIC, block.name(), block.path() + ".name", registry::metric));
            metrics.add(new MetricSpec(block.name(), metric, block.parameters().validate(metric.parameters())));
        }
        TargetDevice device = used.use(PluginKind.DEVICE, config.targetDevice(), require(registry, PluginKind.DEVICE,
                config.targetDevice(), "compression.target_device", registry::device));
        String backendName = device.backend();
        InferenceBackend backend = registry.backend(backendName).orElseThrow(() -> new InvalidInputException(
                "compression.target_device", config.targetDevice(), "its backend '" + backendName
                + "' is not deployed; available backends: " + available(registry, PluginKind.BACKEND)));
        used.use(PluginKind.BACKEND, backendName, backend);
        List<AlgorithmStep> algorithms = new ArrayList<>();
        if (needAlgorithms) {
            if (config.algorithms().isEmpty()) {
                throw new InvalidInputException("compression.algorithms", "[]",
                        "at least one algorithm; available: " + available(registry, PluginKind.ALGORITHM));
            }
            for (JobConfig.NamedBlock block : config.algorithms()) {
                QuantizationAlgorithm algorithm = used.use(PluginKind.ALGORITHM, block.name(), require(registry,
                        PluginKind.ALGORITHM, block.name(), block.path() + ".name", registry::algorithm));
                algorithms.add(new AlgorithmStep(block.name(), algorithm,
                        block.parameters().validate(algorithm.parameters())));
            }
        }
        OptimizerStep optimizer = needAlgorithms && config.optimizer() != null
                ? optimizer(config, registry, used, algorithms) : null;
        return new Pipeline(config, loader, calibrationLoader, List.copyOf(metrics), config.targetDevice(), device,
                backend, List.copyOf(algorithms), optimizer, used);
    }

    /** The optimizer section: a live optimizer, metrics to score trials with, and exactly one tunable algorithm. */
    private static OptimizerStep optimizer(JobConfig config, PluginRegistry registry, UsedPlugins used,
                                           List<AlgorithmStep> algorithms) {
        JobConfig.NamedBlock block = config.optimizer();
        Optimizer optimizer = used.use(PluginKind.OPTIMIZER, block.name(), require(registry, PluginKind.OPTIMIZER,
                block.name(), block.path() + ".name", registry::optimizer));
        Parameters parameters = block.parameters().validate(optimizer.parameters());
        if (config.metrics().isEmpty()) {
            throw new InvalidInputException("engine.metrics", "[]", "an optimizer scores trials by accuracy: give an"
                    + " annotated dataset and at least one metric");
        }
        int tunable = -1;
        for (int i = 0; i < algorithms.size(); i++) {
            if (algorithms.get(i).algorithm() instanceof TunableAlgorithm) {
                if (tunable >= 0) {
                    throw new InvalidInputException("compression.algorithms[" + i + "].name", algorithms.get(i).name(),
                            "one tunable algorithm per job; " + algorithms.get(tunable).name() + " is already tuned");
                }
                tunable = i;
            }
        }
        if (tunable < 0) {
            throw new InvalidInputException("compression.algorithms", algorithms.stream().map(AlgorithmStep::name)
                    .toList(), "an optimizer section needs a tunable algorithm among them (TunableQuantization)");
        }
        return new OptimizerStep(block.name(), optimizer, parameters, tunable);
    }

    /**
     * Bad input naming {@code field} unless {@code model} is a regular file; a folder, a named pipe, a device or a
     * socket is not "missing" but the wrong kind (reading a FIFO would also wait for a writer forever).
     */
    public static void requireModelFile(String field, Path model) {
        if (Files.isDirectory(model)) {
            throw new InvalidInputException(field, model, "is a directory, not a model file (name the .onnx file)");
        }
        if (Files.exists(model) && !Files.isRegularFile(model)) {
            throw new InvalidInputException(field, model, "is not a regular file (a named pipe, device or socket):"
                    + " name the .onnx file");
        }
        if (!Files.isRegularFile(model)) {
            throw new InvalidInputException(field, model, "the model file does not exist");
        }
    }

    private static <T> T require(PluginRegistry registry, PluginKind kind, String name, String field,
                                 java.util.function.Function<String, Optional<T>> lookup) {
        return lookup.apply(name).orElseThrow(() -> {
            Set<String> names = registry.names(kind);
            String hint = Parameters.nearest(name, names).map(s -> " (did you mean '" + s + "'?)").orElse("");
            return new InvalidInputException(field, name, "unknown " + kind.label() + "; available: "
                    + (names.isEmpty() ? "none deployed" : String.join(", ", names)) + hint);
        });
    }

    private static String available(PluginRegistry registry, PluginKind kind) {
        Set<String> names = registry.names(kind);
        return names.isEmpty() ? "none deployed" : String.join(", ", names);
    }

    /** The plugin services this job holds (algorithms looked up while it runs are added). */
    public UsedPlugins used() {
        return used;
    }

    public JobConfig config() {
        return config;
    }

    public List<MetricSpec> metrics() {
        return metrics;
    }

    public String deviceName() {
        return deviceName;
    }

    public TargetDevice device() {
        return device;
    }

    public InferenceBackend backend() {
        return backend;
    }

    public List<AlgorithmStep> algorithms() {
        return algorithms;
    }

    /** The optimizer section, or null when the job has none. */
    public OptimizerStep optimizer() {
        return optimizer;
    }

    /** Opens the main dataset, or fails naming the engine section when there is none. */
    public Dataset openDataset() {
        if (loader == null) {
            throw new InvalidInputException("engine.type", config.engineType(), "an engine with data for this job (its"
                    + " algorithms or metrics read samples): accuracy_checker with engine.dataset, or simplified with"
                    + " engine.data_source; data_free serves only data-free algorithms such as CrossLayerEqualization");
        }
        return loader.open(config.dataset().parameters());
    }

    /** The calibration dataset when configured, else the main one. */
    public Dataset openCalibrationDataset() {
        if (calibrationLoader != null) {
            return calibrationLoader.open(config.calibrationDataset().parameters());
        }
        return openDataset();
    }

    public boolean hasSeparateCalibration() {
        return calibrationLoader != null;
    }

    /** The config path of the main dataset (engine.dataset, or engine.data_source in simplified mode). */
    public String datasetField() {
        return "simplified".equals(config.engineType()) ? "engine.data_source"
                : config.dataset() != null ? config.dataset().path() : "engine.dataset";
    }

    /** The config path of the dataset statistics are collected on. */
    public String calibrationDatasetField() {
        return config.calibrationDataset() != null ? config.calibrationDataset().path() : datasetField();
    }

    /**
     * The backend names only the model input a batch did not fit ({@code inputs.<name>}), a metric only the sample whose
     * label is out of range; with both datasets fed to the same model the user could not tell which one is wrong, so
     * the error names the dataset's config path too.
     */
    public static RuntimeException blameDataset(InvalidInputException error, String datasetField) {
        if (error.field() != null && (error.field().equals("inputs") || error.field().startsWith("inputs."))) {
            return new InvalidInputException(datasetField + " (fed to " + error.field() + ")", error.value(),
                    error.allowed(), error);
        }
        if (error.field() != null && error.field().startsWith("label of sample")) {
            // a metric sees labels, not where they came from: name the dataset whose labels they are
            return new InvalidInputException(datasetField + " (" + error.field() + ")", error.value(), error.allowed(),
                    error);
        }
        return error;
    }
}
