package org.pot4j.algorithm.accuracyaware.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.pot4j.algorithm.defaultquantization.internal.DefaultQuantization;
import org.pot4j.algorithm.fastbiascorrection.internal.FastBiasCorrection;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.metric.Metric;
import org.pot4j.api.metric.MetricAccumulator;
import org.pot4j.api.metric.MetricInput;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/**
 * The test kit's {@link RealContext} (ONNX Runtime, QDQ writer, statistics collector, real
 * algorithms) with what AccuracyAware needs on top, as the orchestrator provides it: evaluation of
 * the real metric plugins on chosen validation samples with per-sample values (FP32 reference
 * outputs cached), and recorders for snapshots, METRIC events and the report. Thread-safe
 * evaluation, as the ranking pool calls it concurrently.
 */
final class EvaluatingContext implements AlgorithmContext {
    record Snapshot(String label, byte[] onnx, Map<String, Double> metrics) {
    }

    record MetricEvent(String label, Map<String, Double> values) {
    }

    record MetricSpec(Metric metric, Parameters parameters) {
    }

    private final RealContext real;
    private final Dataset validation;
    private final List<MetricSpec> metrics;
    private final Graph original;
    private final Map<Integer, Tensor> references = new ConcurrentHashMap<>();
    private final List<Snapshot> snapshots = Collections.synchronizedList(new ArrayList<>());
    private final List<MetricEvent> events = Collections.synchronizedList(new ArrayList<>());
    private final List<int[]> evaluatedSubsets = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger concurrent = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private Parameters parameters = Parameters.empty("compression.algorithms[0].params");
    private boolean quiet;

    /** On the shipped CPU device config. */
    EvaluatingContext(String modelName, IdxDataset calibration, Dataset validation, List<MetricSpec> metrics) {
        this(modelName, calibration, validation, metrics, true);
    }

    /**
     * {@code placement}: the shipped CPU device config (bundles/device-cpu's cpu.json with its runtime placement), as
     * users get it, with only its latency check off (a device built in Java has it off: timings would make the tests'
     * plans vary); false: the same config without the runtime section, where every layer is quantized on its own
     * (for tests of the search's mechanics that need a layer whose revert alone does not help).
     */
    EvaluatingContext(String modelName, IdxDataset calibration, Dataset validation, List<MetricSpec> metrics,
                      boolean placement) {
        Graph model = OnnxCodec.read(TestFiles.model(modelName));
        this.original = model.copy();
        HardwareConfig cpu = new CpuDevice("auto").hardwareConfig();
        this.real = new RealContext(model, placement ? cpu : new HardwareConfig(cpu.device(), cpu.operations(),
                cpu.agnosticOperations(), cpu.properties()), calibration, validation instanceof IdxDataset idx ? idx : null)
                .withStatisticsCache() // as the server's cache: requantized candidates reuse the FP32 statistics
                .register("MinMaxQuantization", new MinMaxQuantization())
                .register("FastBiasCorrection", new FastBiasCorrection())
                .register("DefaultQuantization", new DefaultQuantization())
                .register("AccuracyAwareQuantization", new AccuracyAwareQuantization());
        this.validation = validation;
        this.metrics = metrics;
    }

    /** Runs AccuracyAware with {@code params} (validated as the orchestrator does) on this context. */
    void runAccuracyAware(Map<String, ?> params) throws Exception {
        AccuracyAwareQuantization algorithm = new AccuracyAwareQuantization();
        // the tests count and rank all six layers of cnn_relu(_outlier): on CPU its 1-channel first Conv would
        // otherwise stay float (MinMax's float stem, tested in algorithm-minmax)
        Map<String, Object> withAllLayers = new java.util.LinkedHashMap<>(params);
        withAllLayers.putIfAbsent("float_stem", false);
        parameters = RealContext.params(withAllLayers).validate(algorithm.parameters());
        algorithm.apply(this, null);
        if (quiet) {
            return;
        }
        Map<String, Object> report = accuracyAwareReport();
        System.out.println("AccuracyAware " + params + ": base " + report.get("base_metrics") + ", "
                + report.get("stop_reason") + ", reverted " + real.reports().get("reverted_layers"));
        for (Object iteration : (List<?>) report.get("iteration_log")) {
            System.out.println("  " + iteration);
        }
    }

    /** No per-iteration printout (benchmarks). */
    void quiet() {
        quiet = true;
    }

    RealContext real() {
        return real;
    }

    Graph original() {
        return original;
    }

    List<Snapshot> snapshots() {
        return snapshots;
    }

    List<MetricEvent> events() {
        return events;
    }

    List<int[]> evaluatedSubsets() {
        return evaluatedSubsets;
    }

    int maxConcurrentEvaluations() {
        return maxConcurrent.get();
    }

    Map<String, Object> reports() {
        return real.reports();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> accuracyAwareReport() {
        return (Map<String, Object>) real.reports().get("accuracy_aware");
    }

    /** Top-1 accuracy of a model (ONNX bytes or graph + plan) on the whole validation set, measured apart from the algorithm. */
    double accuracy(Graph model, QuantizationPlan plan) {
        return real.accuracy(model, plan, validation.size());
    }

    @Override
    public EvaluationResult evaluate(Graph model, QuantizationPlan plan, int[] sampleIndices) {
        int now = concurrent.incrementAndGet();
        maxConcurrent.accumulateAndGet(now, Math::max);
        try {
            int[] indices = sampleIndices != null ? sampleIndices.clone()
                    : java.util.stream.IntStream.range(0, validation.size()).toArray();
            evaluatedSubsets.add(indices);
            boolean needsReference = metrics.stream().anyMatch(m -> m.metric().requiresReference());
            if (needsReference) {
                try (InferenceSession fp32 = real.openSession(original, null, SessionOptions.defaults().withThreads(1))) {
                    forEachOutput(fp32, indices, (sample, output) -> references.putIfAbsent(sample.index(), output));
                }
            }
            List<MetricAccumulator> accumulators = metrics.stream().map(m -> m.metric().create(m.parameters())).toList();
            try (InferenceSession session = real.openSession(model, plan, SessionOptions.defaults().withThreads(1))) {
                forEachOutput(session, indices, (sample, output) -> {
                    MetricInput input = new MetricInput(sample.index(), output, sample.label(),
                            needsReference ? references.get(sample.index()) : null);
                    accumulators.forEach(a -> a.update(input));
                });
            }
            Map<String, Double> values = new LinkedHashMap<>();
            Map<String, double[]> perSample = new LinkedHashMap<>();
            Map<String, Boolean> higher = new LinkedHashMap<>();
            for (MetricAccumulator accumulator : accumulators) {
                values.put(accumulator.name(), accumulator.value());
                perSample.put(accumulator.name(), accumulator.perSampleValues());
                higher.put(accumulator.name(), accumulator.higherIsBetter());
            }
            return new EvaluationResult(values, perSample, higher, indices);
        } finally {
            concurrent.decrementAndGet();
        }
    }

    private interface OutputConsumer {
        void accept(Sample sample, Tensor output);
    }

    private void forEachOutput(InferenceSession session, int[] indices, OutputConsumer consumer) {
        String input = session.inputNames().get(0);
        String output = session.outputNames().get(0);
        int batch = 100;
        for (int start = 0; start < indices.length; start += batch) {
            int count = Math.min(batch, indices.length - start);
            List<Sample> samples = new ArrayList<>();
            float[] data = null;
            long[] shape = null;
            for (int i = 0; i < count; i++) {
                Sample sample = validation.get(indices[start + i]);
                samples.add(sample);
                float[] one = sample.input().toFloats();
                if (data == null) {
                    data = new float[one.length * count];
                    long[] sampleShape = sample.input().shape();
                    shape = new long[sampleShape.length + 1];
                    shape[0] = count;
                    System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
                }
                System.arraycopy(one, 0, data, i * one.length, one.length);
            }
            float[] out = session.run(Map.of(input, Tensor.ofFloats(shape, data)), List.of(output)).get(output).toFloats();
            int width = out.length / count;
            for (int i = 0; i < count; i++) {
                float[] row = java.util.Arrays.copyOfRange(out, i * width, (i + 1) * width);
                consumer.accept(samples.get(i), Tensor.ofFloats(new long[] {1, width}, row));
            }
        }
    }

    @Override public String jobId() { return "test"; }
    @Override public Parameters parameters() { return parameters; }
    @Override public Graph model() { return real.model(); }
    @Override public void setModel(Graph model) { real.setModel(model); }
    @Override public QuantizationPlan plan() { return real.plan(); }
    @Override public void setPlan(QuantizationPlan plan) { real.setPlan(plan); }
    @Override public String deviceName() { return real.deviceName(); }
    @Override public HardwareConfig hardware() { return real.hardware(); }
    @Override public String modelType() { return null; }
    @Override public Dataset calibrationData() { return real.calibrationData(); }
    @Override public Optional<Dataset> validationData() { return Optional.ofNullable(metrics.isEmpty() ? null : validation); }
    @Override public int[] calibrationIndices(int size, boolean shuffle, long seed) { return real.calibrationIndices(size, shuffle, seed); }
    @Override public Statistics collect(Graph model, QuantizationPlan plan, int[] indices, List<StatisticRequest> requests) {
        return real.collect(model, plan, indices, requests);
    }
    @Override public InferenceSession openSession(Graph model, QuantizationPlan plan, SessionOptions options) {
        return real.openSession(model, plan, options);
    }
    @Override public Optional<QuantizationAlgorithm> algorithm(String name) { return real.algorithm(name); }
    @Override public void run(String name, Parameters params) throws Exception { real.run(name, params); }
    @Override public void stage(String name) { }
    @Override public void progress(long done, long total) { }

    @Override
    public void metrics(String label, Map<String, Double> values) {
        events.add(new MetricEvent(label, Map.copyOf(values)));
    }

    @Override
    public void snapshot(String label, Graph model, QuantizationPlan plan, Map<String, Double> values) {
        byte[] bytes = OnnxCodec.write(plan == null ? model : org.pot4j.model.QdqWriter.apply(model, plan));
        snapshots.add(new Snapshot(label, bytes, Map.copyOf(values)));
    }

    @Override public void report(String key, Object value) { real.report(key, value); }
    @Override public boolean isCancelled() { return false; }
    @Override public void checkCancelled() { }

    static InvalidInputException invalid(Throwable e) {
        return e instanceof InvalidInputException invalid ? invalid : null;
    }
}
