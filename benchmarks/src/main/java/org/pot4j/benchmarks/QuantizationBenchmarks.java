package org.pot4j.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.pot4j.algorithm.activationchannelalignment.internal.ActivationChannelAlignment;
import org.pot4j.algorithm.defaultquantization.internal.DefaultQuantization;
import org.pot4j.algorithm.fastbiascorrection.internal.FastBiasCorrection;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.backend.BenchmarkResult;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.backend.SessionOptions.OptimizationLevel;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.backend.onnxruntime.internal.OnnxRuntimeBackend;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.model.QdqWriter;
import org.pot4j.stats.StatisticsCollector;
import org.pot4j.testsupport.TestFiles;

/**
 * Issue 4 acceptance 2 and 3 (and issue 3 acceptance 4), as printed figures. One JVM, the real parts: OnnxCodec,
 * MinMaxQuantization + FastBiasCorrection composed by DefaultQuantization (preset performance, device CPU) in the
 * algorithm test kit's real context, the QDQ writer, ONNX Runtime, the statistics collector.
 * <ol>
 *   <li>per model: ONNX Runtime's optimized INT8 graph (EXTENDED) as an op-type histogram, the float layers left,
 *       INT8/FP32 latency at batch 1 and 64 (same thread count), top-1 on the 10k test set;</li>
 *   <li>DefaultQuantization wall time / bare time of 300 FP32 inferences (batch 1, same session options);</li>
 *   <li>statistics pass over 300 samples for every Conv/MatMul/Gemm activation input / bare inference.</li>
 * </ol>
 * Arguments: {@code --models a,b} {@code --threads n} (ORT intra-op threads of every session, default 1; 0: ORT's
 * choice) {@code --rounds n} {@code --warmup n} (rounds before the measured ones, default 10)
 * {@code --accuracy-samples n} (0 skips accuracy; default 10000 with {@code -Dpot4j.data=DIR}, the folder holding the full
 * Fashion-MNIST test set, see README.md; without it the repository's first 1000 test images). Models and calibration
 * data come from the repository (org.pot4j.testsupport.TestFiles).
 */
public final class QuantizationBenchmarks {
    private static final Set<String> WEIGHTED = Set.of("Conv", "ConvTranspose", "MatMul", "Gemm", "FusedConv",
            "FusedGemm");
    private static final Set<String> INTEGER_KERNELS = Set.of("QLinearConv", "QLinearMatMul", "QGemm", "ConvInteger",
            "MatMulInteger", "MatMulIntegerToFloat", "DynamicQuantizeMatMul");

    private final int threads;
    private final int rounds;
    private final int warmup;
    private final int accuracySamples;
    private final InferenceBackend backend;
    /** Sessions with ONNX Runtime's own intra-op thread count (all physical cores). */
    private final InferenceBackend ortDefaultThreads = new OnnxRuntimeBackend(0, OptimizationLevel.ALL);
    /** Built once, as the server does when the device component activates (it reads the CPU flags). */
    private final HardwareConfig cpu = new CpuDevice("auto").hardwareConfig();
    private final IdxDataset calibration;
    private final IdxDataset test;

    QuantizationBenchmarks(int threads, int rounds, int warmup, int accuracySamples) throws Exception {
        this.threads = threads;
        this.rounds = rounds;
        this.warmup = Math.max(1, warmup);
        this.accuracySamples = accuracySamples;
        this.backend = new OnnxRuntimeBackend(threads, OptimizationLevel.ALL);
        this.calibration = IdxDataset.calibration();
        // up to 1000 images from the repository, more from -Dpot4j.data
        this.test = accuracySamples > 0 ? IdxDataset.test(accuracySamples) : null;
    }

    public static void main(String[] args) throws Exception {
        List<String> models = List.of("cnn_relu", "mobilenet_v2_tiny");
        int threads = 1;
        int rounds = 5;
        int warmup = 10;
        int accuracy = TestFiles.fullDataGiven() ? 10_000 : TestFiles.TEST_SLICE;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--models" -> models = List.of(args[++i].split(","));
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--accuracy-samples" -> accuracy = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (allowed: --models a,b --threads n --rounds n --warmup n --accuracy-samples n)");
            }
        }
        QuantizationBenchmarks benchmarks = new QuantizationBenchmarks(threads, rounds, warmup, accuracy);
        System.out.printf("pot4j benchmarks: ORT intra-op threads %d, %d rounds (median) after %d warm-up rounds, %d cores,"
                + " top-1 on %s%n%n", threads, rounds, Math.max(1, warmup), Runtime.getRuntime().availableProcessors(),
                accuracy == 0 ? "no images" : accuracy + " test images" + (accuracy > TestFiles.TEST_SLICE
                        ? " from " + TestFiles.fullData("t10k-images-idx3-ubyte.gz") : " of the repository's slice"));
        for (String model : models) {
            benchmarks.run(model);
        }
    }

    private RealContext context(Graph model) {
        return new RealContext(model, cpu, calibration, test).withThreads(threads)
                .register("MinMaxQuantization", new MinMaxQuantization())
                .register("FastBiasCorrection", new FastBiasCorrection())
                .register("DefaultQuantization", new DefaultQuantization());
    }

    private void run(String name) throws Exception {
        Graph fp32 = OnnxCodec.read(TestFiles.model(name));
        System.out.println("== " + name);

        // (b) DefaultQuantization wall time against 300 bare FP32 inferences, alternating, median of rounds
        double[] quantizeMs = new double[rounds];
        double[] statisticsMs = new double[rounds];
        double[] bareMs = new double[rounds];
        RealContext quantized = null;
        // warm-up rounds first: DefaultQuantization's Java side (plan, bias shifts, aggregation) runs once per
        // job, so the JIT compiles it only after several jobs, as in a server that has run a few
        for (int round = -warmup; round < rounds; round++) {
            long start = System.nanoTime();
            bareInferences(fp32, 300);
            long afterBare = System.nanoTime();
            RealContext context = context(fp32);
            context.run("DefaultQuantization", RealContext.params(Map.of("preset", "performance")));
            long afterQuantize = System.nanoTime();
            if (round >= 0) {
                bareMs[round] = (afterBare - start) / 1e6;
                quantizeMs[round] = (afterQuantize - afterBare) / 1e6;
                statisticsMs[round] = context.collectNanos() / 1e6;
            }
            quantized = context;
        }
        Graph int8 = QdqWriter.apply(quantized.model(), quantized.plan());

        // (a) what ONNX Runtime runs
        Path optimized = Files.createTempFile("pot4j-" + name + "-int8-optimized", ".onnx");
        try (InferenceSession session = backend.open(int8, options(OptimizationLevel.EXTENDED, optimized))) {
            session.inputNames();
        }
        Graph fused = OnnxCodec.read(optimized);
        Files.deleteIfExists(optimized);
        Map<String, Long> histogram = fused.nodes().stream()
                .collect(Collectors.groupingBy(Node::opType, TreeMap::new, Collectors.counting()));
        long weighted = fp32.nodes().stream().filter(n -> WEIGHTED.contains(n.opType())).count();
        long quantizedLayers = quantized.plan().quantizedNodes().stream()
                .filter(n -> fp32.nodes().stream().anyMatch(m -> m.name().equals(n) && WEIGHTED.contains(m.opType())))
                .count();
        long integer = fused.nodes().stream().filter(n -> INTEGER_KERNELS.contains(n.opType())).count();
        Map<String, String> leftFloat = new java.util.LinkedHashMap<>();
        quantized.plan().ignoredNodes().forEach((node, why) -> {
            if (fp32.nodes().stream().anyMatch(m -> m.name().equals(node) && WEIGHTED.contains(m.opType()))) {
                leftFloat.put(node, why);
            }
        });
        System.out.printf("ORT optimized INT8 graph (EXTENDED): %s%n", histogram);
        System.out.printf("  weighted layers %d, quantized in the plan %d, run as integer kernels %d; left float by the plan %d%s%n",
                weighted, quantizedLayers, integer, leftFloat.size(), leftFloat.isEmpty() ? "" : " " + leftFloat);

        for (int batch : new int[] {1, 64}) {
            Map<String, Tensor> input = Map.of(fp32.inputs().get(0).name(), calibration.batch(0, batch));
            int iterations = batch == 1 ? 2000 : 200;
            BenchmarkResult f = latency(fp32, input, iterations);
            BenchmarkResult q = latency(int8, input, iterations);
            System.out.printf("  batch %2d: FP32 median %.3f ms, INT8 median %.3f ms, INT8/FP32 %.2f (means %.3f / %.3f ms)%n",
                    batch, f.medianMs(), q.medianMs(), q.medianMs() / f.medianMs(), f.meanMs(), q.meanMs());
        }
        if (test != null) {
            double fp32Top1 = quantized.accuracy(fp32, null, test.size());
            double int8Top1 = quantized.accuracy(quantized.model(), quantized.plan(), test.size());
            System.out.printf("  top-1 on %d test images: FP32 %.4f, INT8 %.4f, drop %.2f points%n", test.size(), fp32Top1,
                    int8Top1, 100 * (fp32Top1 - int8Top1));
        }
        double q = median(quantizeMs);
        double bare = median(bareMs);
        System.out.printf("DefaultQuantization (performance, MinMax + FastBiasCorrection, 300 samples): %.1f ms (statistics"
                + " pass %.1f ms); 300 bare FP32 inferences (batch 1, session open to close): %.1f ms; ratio %.2f (goal <= 1.3;"
                + " median of %d rounds after %d warm-up rounds)%n", q, median(statisticsMs), bare, q / bare, rounds, warmup);
        withChannelAlignment(fp32);
        parallelRequests(fp32, bare);

        // (c) statistics pass for every Conv/MatMul/Gemm activation input against bare inference
        statisticsRatio(fp32);
        System.out.println();
    }

    private SessionOptions options(OptimizationLevel level, Path save) {
        return SessionOptions.defaults().withThreads(threads).withOptimization(level, save);
    }

    /**
     * DefaultQuantization as the distribution deploys it: with ActivationChannelAlignment, which runs first with a
     * statistics pass of its own whenever the model has a pair to align (then MinMax and the bias correction take a
     * second pass on the aligned model), against 300 bare inferences timed alternately, as above.
     */
    private void withChannelAlignment(Graph fp32) throws Exception {
        double[] quantizeMs = new double[rounds];
        double[] bareMs = new double[rounds];
        int passes = 0;
        for (int round = -warmup; round < rounds; round++) {
            RealContext context = context(fp32).register("ActivationChannelAlignment", new ActivationChannelAlignment());
            long start = System.nanoTime();
            bareInferences(fp32, 300);
            long afterBare = System.nanoTime();
            context.run("DefaultQuantization", RealContext.params(Map.of("preset", "performance")));
            long end = System.nanoTime();
            if (round >= 0) {
                bareMs[round] = (afterBare - start) / 1e6;
                quantizeMs[round] = (end - afterBare) / 1e6;
            }
            passes = context.statisticsPasses();
        }
        double q = median(quantizeMs);
        System.out.printf("  with ActivationChannelAlignment (as the distribution deploys it; %d statistics pass%s): %.1f"
                + " ms, ratio %.2f%n", passes, passes == 1 ? "" : "es", q, q / median(bareMs));
    }

    /**
     * POT's engine {@code stat_requests_number} set to the core count: DefaultQuantization's statistics pass on that
     * many sessions of 1 thread each, against 300 bare inferences given the same cores (ONNX Runtime's default
     * intra-op threads), and against the 1-thread bare time above.
     */
    private void parallelRequests(Graph fp32, double bareOneThread) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        if (cores < 2) {
            return;
        }
        double[] quantizeMs = new double[rounds];
        double[] bareMs = new double[rounds];
        for (int round = -warmup; round < rounds; round++) {
            long start = System.nanoTime();
            bareInferences(ortDefaultThreads, fp32, 300, 0);
            long afterBare = System.nanoTime();
            context(fp32).withThreads(1).withStatisticsRequests(cores)
                    .run("DefaultQuantization", RealContext.params(Map.of("preset", "performance")));
            long afterQuantize = System.nanoTime();
            if (round >= 0) {
                bareMs[round] = (afterBare - start) / 1e6;
                quantizeMs[round] = (afterQuantize - afterBare) / 1e6;
            }
        }
        double q = median(quantizeMs);
        double bare = median(bareMs);
        System.out.printf("  with stat_requests_number %d (sessions of 1 thread): %.1f ms; 300 bare inferences with ONNX"
                + " Runtime's default threads on the same %d cores: %.1f ms; ratio %.2f (against 1-thread bare: %.2f)%n",
                cores, q, cores, bare, q / bare, q / bareOneThread);
    }

    private void bareInferences(Graph model, int samples) {
        bareInferences(backend, model, samples, threads);
    }

    private void bareInferences(InferenceBackend backend, Graph model, int samples, int threads) {
        String input = model.inputs().get(0).name();
        List<String> output = List.of(model.outputs().get(0).name());
        try (InferenceSession session = backend.open(model, SessionOptions.defaults().withThreads(threads))) {
            for (int i = 0; i < samples; i++) {
                session.run(Map.of(input, calibration.batch(i, 1)), output);
            }
        }
    }

    private BenchmarkResult latency(Graph model, Map<String, Tensor> input, int iterations) {
        try (InferenceSession session = backend.open(model, SessionOptions.defaults().withThreads(threads))) {
            return session.benchmark(input, Math.max(10, iterations / 10), iterations, 20);
        }
    }

    /**
     * Issue 3 acceptance 4: a statistics pass over the 300 calibration samples for every Conv/MatMul/Gemm activation
     * input against bare inference of the same samples, both at the collector's batch size and both timed from
     * opening the session to closing it. Two request sets: what DefaultQuantization (performance, CPU) declares
     * (MinMax's per-tensor ranges and FastBiasCorrection's per-channel input means), and a heavier set with POT's
     * quantile estimator (min, max, abs_max, quantiles 1e-4 and 1 - 1e-4 per tensor; quantiles need whole tensors).
     */
    private void statisticsRatio(Graph model) throws Exception {
        RealContext context = context(model);
        DefaultQuantization defaultQuantization = new DefaultQuantization();
        context.setParameters(RealContext.params(Map.of("preset", "performance")).validate(defaultQuantization.parameters()));
        List<StatisticRequest> declared = defaultQuantization.statistics(context);
        Set<String> activations = new LinkedHashSet<>();
        for (Node node : model.nodes()) {
            if (WEIGHTED.contains(node.opType()) && !model.isInitializer(node.input(0))) {
                activations.add(node.input(0));
            }
        }
        List<StatisticRequest> quantiles = new ArrayList<>();
        for (String tensor : activations) {
            quantiles.add(StatisticRequest.perTensor(tensor, Reducer.MIN, Aggregator.MEAN));
            quantiles.add(StatisticRequest.perTensor(tensor, Reducer.MAX, Aggregator.MEAN));
            quantiles.add(StatisticRequest.perTensor(tensor, Reducer.ABS_MAX, Aggregator.MEAN));
            quantiles.add(new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.MEAN, -1, 1e-4, 0));
            quantiles.add(new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.MEAN, -1, 1 - 1e-4, 0));
        }
        String input = model.inputs().get(0).name();
        int batch = StatisticsCollector.DEFAULT_BATCH_SIZE;
        List<String> output = List.of(model.outputs().get(0).name());
        int[] indices = new int[calibration.size()];
        Arrays.setAll(indices, i -> i);
        StatisticsCollector collector = new StatisticsCollector(batch);
        double[] bareMs = new double[rounds];
        double[] declaredMs = new double[rounds];
        double[] quantileMs = new double[rounds];
        for (int round = -warmup; round < rounds; round++) {
            long start = System.nanoTime();
            try (InferenceSession bare = backend.open(model, SessionOptions.defaults().withThreads(threads))) {
                for (int from = 0; from < indices.length; from += batch) {
                    bare.run(Map.of(input, calibration.batch(from, Math.min(batch, indices.length - from))), output);
                }
            }
            long afterBare = System.nanoTime();
            collector.collect(backend, model, SessionOptions.defaults().withThreads(threads), declared, calibration,
                    input, indices, null, null);
            long afterDeclared = System.nanoTime();
            collector.collect(backend, model, SessionOptions.defaults().withThreads(threads), quantiles, calibration,
                    input, indices, null, null);
            long afterQuantiles = System.nanoTime();
            if (round >= 0) {
                bareMs[round] = (afterBare - start) / 1e6;
                declaredMs[round] = (afterDeclared - afterBare) / 1e6;
                quantileMs[round] = (afterQuantiles - afterDeclared) / 1e6;
            }
        }
        double b = median(bareMs);
        double d = median(declaredMs);
        double q = median(quantileMs);
        System.out.printf("Statistics pass over 300 samples, batch %d, %d activation inputs of Conv/MatMul/Gemm, session"
                + " open to close: bare inference %.1f ms;%n  DefaultQuantization's statistics (%d requests: per-tensor"
                + " ranges, per-channel input means) %.1f ms, ratio %.2f (goal <= 1.3);%n  with the quantile estimator"
                + " (min, max, abs_max, quantiles 1e-4 and 1 - 1e-4: whole tensors to Java) %.1f ms, ratio %.2f%n",
                batch, activations.size(), b, declared.size(), d, d / b, q, q / b);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
