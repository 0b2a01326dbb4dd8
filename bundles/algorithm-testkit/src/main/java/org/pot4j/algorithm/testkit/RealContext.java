package org.pot4j.algorithm.testkit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.backend.onnxruntime.internal.OnnxRuntimeBackend;
import org.pot4j.model.OnnxCodec;
import org.pot4j.model.QdqWriter;
import org.pot4j.stats.CollectedStatistics;
import org.pot4j.stats.StatisticsCollector;

/**
 * An AlgorithmContext made of real parts, for algorithm tests: ONNX Runtime sessions on the
 * model (QDQ-written with {@link QdqWriter} when a plan is given), the one-pass
 * {@link StatisticsCollector}, Fashion-MNIST IDX data, top-1 accuracy. {@link #run} does what an
 * orchestrator does: validates parameters, collects the algorithm's declared statistics on the
 * FP32 model over the calibration subset, then applies. Counts statistics passes.
 */
public final class RealContext implements AlgorithmContext {
    private final HardwareConfig hardware;
    private final IdxDataset calibration;
    private final IdxDataset validation;
    private final Map<String, QuantizationAlgorithm> algorithms = new LinkedHashMap<>();
    private final Map<String, Object> reports = new LinkedHashMap<>();
    private final InferenceBackend backend = new OnnxRuntimeBackend(0, SessionOptions.OptimizationLevel.ALL);
    /** ONNX Runtime intra-op threads of every session this context opens; 0: ONNX Runtime's choice. */
    private int threads = 1;
    private StatisticsCollector collector = new StatisticsCollector();
    private Graph model;
    private QuantizationPlan plan = new QuantizationPlan();
    private Parameters parameters = Parameters.empty("params");
    private int passes;
    private long collectNanos;
    /** FP32 statistics by (model bytes, samples, requests); null: every collect is a pass. */
    private Map<String, CollectedStatistics> statisticsCache;

    public RealContext(Graph model, HardwareConfig hardware, IdxDataset calibration, IdxDataset validation) {
        this.model = model;
        this.hardware = hardware;
        this.calibration = calibration;
        this.validation = validation;
    }

    /** Intra-op threads of the sessions this context opens (1 unless set; 0: ONNX Runtime's choice, as the server). */
    public RealContext withThreads(int intraOpThreads) {
        this.threads = intraOpThreads;
        return this;
    }

    /** Parallel inference requests of the statistics pass (POT's engine stat_requests_number; 1 unless set). */
    public RealContext withStatisticsRequests(int requests) {
        this.collector = new StatisticsCollector(StatisticsCollector.DEFAULT_BATCH_SIZE, requests);
        return this;
    }

    /**
     * Remembers FP32 statistics per (model bytes, samples, requests), as the server's statistics
     * cache does: an algorithm that reruns its base algorithm (AccuracyAware's requantizations)
     * then costs no pass for statistics it has already collected.
     */
    public RealContext withStatisticsCache() {
        this.statisticsCache = new HashMap<>();
        return this;
    }

    public RealContext register(String name, QuantizationAlgorithm algorithm) {
        algorithms.put(name, algorithm);
        return this;
    }

    public Map<String, Object> reports() {
        return reports;
    }

    public int statisticsPasses() {
        return passes;
    }

    /** Wall time spent in {@link #collect} (session creation, QDQ writing and the pass). */
    public long collectNanos() {
        return collectNanos;
    }

    public void setParameters(Parameters parameters) {
        this.parameters = parameters;
    }

    @Override public String jobId() { return "test"; }
    @Override public Parameters parameters() { return parameters; }
    @Override public Graph model() { return model; }
    @Override public void setModel(Graph model) { this.model = model; }
    @Override public QuantizationPlan plan() { return plan; }
    @Override public void setPlan(QuantizationPlan plan) { this.plan = plan; }
    @Override public String deviceName() { return hardware.device(); }
    @Override public HardwareConfig hardware() { return hardware; }
    @Override public String modelType() { return null; }
    @Override public Dataset calibrationData() { return calibration; }
    @Override public Optional<Dataset> validationData() { return Optional.ofNullable(validation); }

    @Override
    public int[] calibrationIndices(int subsetSize, boolean shuffle, long seed) {
        if (subsetSize > calibration.size()) {
            throw new InvalidInputException("stat_subset_size", subsetSize,
                    "at most the calibration dataset's size " + calibration.size());
        }
        int[] all = new int[calibration.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        if (shuffle) {
            Random random = new Random(seed);
            for (int i = all.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = all[i];
                all[i] = all[j];
                all[j] = t;
            }
        }
        return Arrays.copyOf(all, subsetSize);
    }

    @Override
    public Statistics collect(Graph graph, QuantizationPlan quantization, int[] sampleIndices, List<StatisticRequest> requests) {
        if (statisticsCache == null || quantization != null) {
            return pass(graph, quantization, sampleIndices, requests);
        }
        // as the server's statistics cache: one entry per (model bytes, samples) holding every request collected so far
        String key = HexFormat.of().formatHex(sha256(OnnxCodec.write(graph))) + Arrays.toString(sampleIndices);
        CollectedStatistics cached = statisticsCache.getOrDefault(key, new CollectedStatistics(Map.of(), 0));
        List<StatisticRequest> missing = StatisticsCollector.merge(requests).stream().filter(r -> !cached.contains(r)).toList();
        if (missing.isEmpty()) {
            return cached;
        }
        Statistics fresh = pass(graph, null, sampleIndices, missing);
        CollectedStatistics merged = cached.requests().isEmpty() ? new CollectedStatistics(values(fresh), fresh.samples())
                : cached.merge(fresh);
        statisticsCache.put(key, merged);
        return merged;
    }

    private static Map<StatisticRequest, float[]> values(Statistics statistics) {
        Map<StatisticRequest, float[]> values = new LinkedHashMap<>();
        statistics.requests().forEach(r -> values.put(r, statistics.get(r)));
        return values;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Statistics pass(Graph graph, QuantizationPlan quantization, int[] sampleIndices, List<StatisticRequest> requests) {
        passes++;
        long start = System.nanoTime();
        Graph runnable = quantization == null ? graph : QdqWriter.apply(graph, quantization);
        try {
            return collector.collect(backend, runnable, sessionOptions(), requests, calibration,
                    graph.inputs().get(0).name(), sampleIndices, null, null);
        } finally {
            collectNanos += System.nanoTime() - start;
        }
    }

    private SessionOptions sessionOptions() {
        return SessionOptions.defaults().withThreads(threads); // 0: the backend's default, ONNX Runtime's choice
    }

    @Override
    public EvaluationResult evaluate(Graph graph, QuantizationPlan quantization, int[] sampleIndices) {
        double accuracy = accuracy(graph, quantization, validation.size());
        return new EvaluationResult(Map.of("accuracy", accuracy), Map.of(), Map.of("accuracy", true), sampleIndices);
    }

    /** Top-1 accuracy on the first {@code n} validation samples. */
    public double accuracy(Graph graph, QuantizationPlan quantization, int n) {
        Graph runnable = quantization == null ? graph : QdqWriter.apply(graph, quantization);
        int correct = 0;
        int batch = 100;
        try (InferenceSession session = backend.open(runnable, sessionOptions())) {
            String input = graph.inputs().get(0).name();
            String output = graph.outputs().get(0).name();
            for (int from = 0; from < n; from += batch) {
                int count = Math.min(batch, n - from);
                Tensor logits = session.run(Map.of(input, validation.batch(from, count)), List.of(output)).get(output);
                float[] values = logits.toFloats();
                int classes = values.length / count;
                for (int i = 0; i < count; i++) {
                    int best = 0;
                    for (int c = 1; c < classes; c++) {
                        if (values[i * classes + c] > values[i * classes + best]) {
                            best = c;
                        }
                    }
                    if (best == validation.label(from + i)) {
                        correct++;
                    }
                }
            }
        }
        return correct / (double) n;
    }

    @Override
    public InferenceSession openSession(Graph graph, QuantizationPlan quantization, SessionOptions options) {
        return backend.open(quantization == null ? graph : QdqWriter.apply(graph, quantization), options);
    }

    @Override
    public Optional<QuantizationAlgorithm> algorithm(String name) {
        return Optional.ofNullable(algorithms.get(name));
    }

    @Override
    public void run(String name, Parameters params) throws Exception {
        QuantizationAlgorithm algorithm = algorithm(name).orElseThrow(() -> new Pot4jException("UNKNOWN_ALGORITHM",
                name + " is not deployed"));
        Parameters saved = parameters;
        parameters = params.validate(algorithm.parameters());
        try {
            List<StatisticRequest> requests = algorithm.statistics(this);
            Statistics statistics = null;
            if (!requests.isEmpty()) {
                int size = (int) parameters.integer("stat_subset_size", calibration.size());
                int[] indices = calibrationIndices(size, parameters.bool("shuffle_data", false),
                        parameters.integer("seed", 0));
                statistics = collect(model, null, indices, requests);
            }
            algorithm.apply(this, statistics);
        } finally {
            parameters = saved;
        }
    }

    @Override public void stage(String name) { }
    @Override public void progress(long done, long total) { }
    @Override public void metrics(String label, Map<String, Double> values) { }
    @Override public void snapshot(String label, Graph graph, QuantizationPlan quantization, Map<String, Double> metrics) { }

    @Override
    public void report(String key, Object value) {
        reports.put(key, value);
    }

    @Override public boolean isCancelled() { return false; }
    @Override public void checkCancelled() { }

    /** Convenience: a Parameters object from a map, with a POT-like path for error messages. */
    public static Parameters params(Map<String, ?> values) {
        return new Parameters(values, "compression.algorithms[0].params", null);
    }

    public static List<String> names(List<?> list) {
        return new ArrayList<>(list.stream().map(String::valueOf).toList());
    }
}
