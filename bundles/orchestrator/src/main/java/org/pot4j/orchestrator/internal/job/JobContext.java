package org.pot4j.orchestrator.internal.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.job.ModelSnapshot;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.model.AtomicFiles;
import org.pot4j.model.OnnxCodec;
import org.pot4j.model.QdqWriter;
import org.pot4j.stats.StatisticsCollector;

/** The {@link AlgorithmContext} of one algorithm run inside a job: its parameters over the job's workspace. */
final class JobContext implements AlgorithmContext {
    private final Workspace workspace;
    private final Parameters parameters;

    JobContext(Workspace workspace, Parameters parameters) {
        this.workspace = workspace;
        this.parameters = parameters;
    }

    @Override
    public String jobId() {
        return workspace.jobId;
    }

    @Override
    public Parameters parameters() {
        return parameters;
    }

    @Override
    public Graph model() {
        return workspace.model;
    }

    @Override
    public void setModel(Graph model) {
        workspace.model = model;
    }

    @Override
    public QuantizationPlan plan() {
        return workspace.plan;
    }

    @Override
    public void setPlan(QuantizationPlan plan) {
        workspace.plan = plan;
    }

    @Override
    public String deviceName() {
        return workspace.pipeline.deviceName();
    }

    @Override
    public HardwareConfig hardware() {
        return workspace.pipeline.device().hardwareConfig();
    }

    @Override
    public String modelType() {
        return workspace.pipeline.config().modelType();
    }

    @Override
    public Dataset calibrationData() {
        return workspace.calibration;
    }

    @Override
    public Optional<Dataset> validationData() {
        return Optional.ofNullable(workspace.validation);
    }

    /** A subset larger than the dataset was checked up front when the user asked for it; a default is clamped. */
    @Override
    public int[] calibrationIndices(int subsetSize, boolean shuffle, long seed) {
        int size = workspace.calibration.size();
        subsetSize = Math.min(subsetSize, size);
        int[] all = Evaluator.allIndices(size);
        if (shuffle) {
            Random random = new Random(seed);
            for (int i = size - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = all[i];
                all[i] = all[j];
                all[j] = swap;
            }
        }
        return java.util.Arrays.copyOf(all, subsetSize);
    }

    @Override
    public Statistics collect(Graph model, QuantizationPlan plan, int[] sampleIndices, List<StatisticRequest> requests) {
        StatisticsCache cache = workspace.statisticsCache;
        if (cache == null || plan != null) {
            return collectNow(model, plan, sampleIndices, requests);
        }
        // the constant inputs are fed with the data, so they are part of what the statistics were collected on
        String data = workspace.calibration.identity() + (workspace.pipeline.config() == null ? ""
                : ";constant_inputs=" + workspace.pipeline.config().constantInputs());
        // the model's digest, not its bytes: serializing a large model for a key cost a copy of its weights
        String key = StatisticsCache.key(OnnxCodec.digest(model).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                data, sampleIndices);
        org.pot4j.stats.CollectedStatistics cached = cache.load(key);
        List<StatisticRequest> missing = new ArrayList<>();
        for (StatisticRequest request : StatisticsCollector.merge(requests)) {
            if (!cached.contains(request)) {
                missing.add(request);
            }
        }
        int reused = StatisticsCollector.merge(requests).size() - missing.size();
        // every look-up is said (hit, partial or miss): the console counts them for /metrics
        workspace.events.emit(org.pot4j.api.job.JobEventType.STAGE, workspace.events.stage(), null, null,
                "statistics cache: reused " + reused + " of " + (reused + missing.size()) + " statistics",
                null, null, Map.of("statistics_cache", missing.isEmpty() ? "hit" : reused > 0 ? "partial" : "miss",
                        "reused", reused, "collected", missing.size()));
        if (reused > 0) {
            workspace.report.merge("statistics_cache_reused", reused, (a, b) -> (int) a + (int) b);
        }
        if (missing.isEmpty()) {
            return cached;
        }
        Statistics fresh = collectNow(model, null, sampleIndices, missing);
        cache.store(key, fresh);
        // nothing stored yet: the fresh pass as it is (merging into the empty entry would report 0 samples)
        return cached.requests().isEmpty() ? fresh : cached.merge(fresh);
    }

    private Statistics collectNow(Graph model, QuantizationPlan plan, int[] sampleIndices,
                                  List<StatisticRequest> requests) {
        // the collector augments a copy of the graph so ORT reduces the activations itself, and owns the session
        Graph graph = plan == null ? model : QdqWriter.apply(model, plan);
        SessionOptions options = SessionOptions.defaults().withThreads(workspace.settings.inferenceThreads());
        // POT's stat_requests_number: that many sessions run the pass's batches in parallel (same statistics)
        int parallel = workspace.pipeline.config() == null ? 1 : workspace.pipeline.config().statisticsRequests();
        try {
            InputFeed feed = workspace.calibrationFeed;
            return new StatisticsCollector(feed.batchSize(), parallel).collect(workspace.pipeline.backend(), graph,
                    options, requests, sampleIndices.length, feed.perSample(workspace.calibration, sampleIndices),
                    (done, total) -> workspace.events.progress(done, total), workspace.cancelled);
        } catch (InvalidInputException e) {
            throw Pipeline.blameDataset(e, workspace.pipeline.calibrationDatasetField());
        }
    }

    @Override
    public EvaluationResult evaluate(Graph model, QuantizationPlan plan, int[] sampleIndices) {
        Evaluator evaluator = workspace.evaluator;
        if (evaluator == null) {
            throw new InvalidInputException("engine.metrics", "[]", "this algorithm needs an annotated dataset with metrics");
        }
        boolean fullFp32 = (plan == null || plan.quantizers().isEmpty()) && sampleIndices == null
                && sameWeights(model, workspace.originalModel);
        EvaluationResult known = workspace.fp32Evaluation;
        if (fullFp32 && known != null) {
            return known;
        }
        int[] indices = sampleIndices != null ? sampleIndices : Evaluator.allIndices(workspace.validation.size());
        int concurrent = workspace.evaluations.incrementAndGet();
        try {
            // evaluations running side by side (AccuracyAware's ranking pool) share the cores instead of each taking all
            // POT's eval_requests_number: that many sessions share the batches, and the threads
            int requests = workspace.pipeline.config() == null ? 1 : workspace.pipeline.config().evaluationRequests();
            int threads = workspace.settings.inferenceThreads() > 0
                    ? Math.max(1, workspace.settings.inferenceThreads() / requests)
                    : concurrent > 1 || requests > 1
                    ? Math.max(1, Runtime.getRuntime().availableProcessors() / (concurrent * requests)) : 0;
            SessionOptions options = SessionOptions.defaults().withThreads(threads);
            if (evaluator.needsReference()) {
                try (Sessions fp32 = Sessions.open(requests, () -> workspace.pipeline.backend()
                        .open(workspace.originalModel, options))) {
                    evaluator.cacheReference(fp32.all(), indices, workspace.cancelled);
                }
            }
            Graph graph = plan == null ? model : QdqWriter.apply(model, plan);
            try (Sessions sessions = Sessions.open(requests, () -> workspace.pipeline.backend().open(graph, options))) {
                EvaluationResult result = evaluator.evaluate(sessions.all(), indices,
                        (done, total) -> workspace.events.progress(done, total), workspace.cancelled);
                if (fullFp32) {
                    workspace.fp32Evaluation = result;
                }
                return result;
            }
        } catch (InvalidInputException e) {
            throw Pipeline.blameDataset(e, workspace.pipeline.datasetField());
        } finally {
            workspace.evaluations.decrementAndGet();
        }
    }

    /** Same graph structure and the very same weight tensors: edits replace tensors, so identity is enough. */
    static boolean sameWeights(Graph a, Graph b) {
        if (a == b) {
            return true;
        }
        if (a.nodes().size() != b.nodes().size() || !a.initializers().keySet().equals(b.initializers().keySet())) {
            return false;
        }
        for (var entry : a.initializers().entrySet()) {
            if (entry.getValue() != b.initializers().get(entry.getKey())) {
                return false;
            }
        }
        for (int i = 0; i < a.nodes().size(); i++) {
            var x = a.nodes().get(i);
            var y = b.nodes().get(i);
            if (!x.opType().equals(y.opType()) || !x.inputs().equals(y.inputs()) || !x.outputs().equals(y.outputs())
                    || !x.attributes().keySet().equals(y.attributes().keySet())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public InferenceSession openSession(Graph model, QuantizationPlan plan, SessionOptions options) {
        Graph graph = plan == null ? model : QdqWriter.apply(model, plan);
        return workspace.pipeline.backend().open(graph, options);
    }

    @Override
    public Optional<QuantizationAlgorithm> algorithm(String name) {
        return workspace.registry.algorithm(name)
                .map(a -> workspace.pipeline.used().use(org.pot4j.api.registry.PluginKind.ALGORITHM, name, a));
    }

    @Override
    public void run(String algorithmName, Parameters algorithmParameters) throws Exception {
        QuantizationAlgorithm algorithm = algorithm(algorithmName).orElseThrow(() -> new Pot4jException("MISSING_PLUGIN",
                "algorithm " + algorithmName + " is not deployed; available: "
                        + String.join(", ", workspace.registry.names(org.pot4j.api.registry.PluginKind.ALGORITHM))));
        runAlgorithm(workspace, algorithmName, algorithm, algorithmParameters.validate(algorithm.parameters()));
    }

    /** Both phases of one algorithm: its statistics on the current FP32 model, then apply. */
    static void runAlgorithm(Workspace workspace, String name, QuantizationAlgorithm algorithm, Parameters parameters)
            throws Exception {
        JobContext context = new JobContext(workspace, parameters);
        Statistics statistics = context.declaredStatistics(name, algorithm);
        context.stage(name);
        try {
            algorithm.apply(context, statistics);
        } catch (InvalidInputException e) {
            // an algorithm that runs sessions itself feeds them the calibration data (its evaluations are blamed above)
            throw Pipeline.blameDataset(e, workspace.pipeline.calibrationDatasetField());
        }
    }

    /** The first phase of an algorithm: the statistics it declares on the current FP32 model, collected. */
    Statistics declaredStatistics(String name, QuantizationAlgorithm algorithm) {
        checkCancelled();
        List<StatisticRequest> requests = new ArrayList<>(algorithm.statistics(this));
        if (requests.isEmpty()) {
            return new org.pot4j.stats.CollectedStatistics(Map.of(), 0);
        }
        stage(name + ": statistics");
        int[] indices = calibrationIndices((int) parameters.integer("stat_subset_size", 300),
                parameters.bool("shuffle_data", false), parameters.integer("seed", 0));
        Statistics statistics = collect(workspace.model, null, indices, requests);
        workspace.report.merge("statistics_samples", indices.length, (a, b) -> Math.max((int) a, (int) b));
        return statistics;
    }

    @Override
    public void stage(String name) {
        workspace.events.stage(name);
    }

    @Override
    public void progress(long done, long total) {
        workspace.events.progress(done, total);
    }

    @Override
    public void metrics(String label, Map<String, Double> values) {
        workspace.events.emit(org.pot4j.api.job.JobEventType.METRIC, label, null, values, null);
    }

    @Override
    public void snapshot(String label, Graph model, QuantizationPlan plan, Map<String, Double> metrics) {
        byte[] bytes = OnnxCodec.write(plan == null ? model : QdqWriter.apply(model, plan));
        int number;
        synchronized (workspace) {
            number = ++workspace.snapshots;
        }
        String id = workspace.jobId + "-" + number;
        if (workspace.intermediateDirectory != null) {
            try {
                AtomicFiles.write(workspace.intermediateDirectory.resolve(String.format("%03d-%s.onnx", number,
                        label.replaceAll("[^A-Za-z0-9._-]", "_"))), bytes);
            } catch (IOException e) {
                throw new Pot4jException("OUTPUT_ERROR", "cannot write intermediate model: " + e.getMessage(), e);
            }
        }
        workspace.events.snapshot(new ModelSnapshot(workspace.jobId, id, label, false, bytes,
                metrics == null ? Map.of() : metrics));
    }

    @Override
    public void report(String key, Object value) {
        workspace.report.put(key, value);
    }

    @Override
    public boolean isCancelled() {
        return workspace.cancelled.getAsBoolean();
    }

    @Override
    public void checkCancelled() {
        if (isCancelled()) {
            throw new Pot4jException("CANCELLED", "job " + workspace.jobId + " was cancelled");
        }
    }
}
