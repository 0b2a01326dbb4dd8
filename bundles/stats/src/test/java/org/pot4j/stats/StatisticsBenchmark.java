package org.pot4j.stats;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.testsupport.TestFiles;

/**
 * Not a test: prints bare ONNX Runtime inference time over the 300 calibration samples, the time
 * of one statistics pass over them for every activation input of every Conv/MatMul/Gemm node
 * (per-tensor min + max, mean of abs_max, quantile 1e-4 and 1 - 1e-4, aggregated by mean), and
 * their ratio (goal <= 1.3), for the session pass (whole tensors reduced in Java) and the one-call pass
 * (reduced inside ONNX Runtime, session opened by the collector). Arguments: [model: cnn_relu, mobilenet_v2_tiny or cnn_relu_outlier, see TestFiles] [batch] [rounds].
 */
public final class StatisticsBenchmark {

    public static void main(String[] args) throws Exception {
        String modelName = args.length > 0 ? args[0] : "cnn_relu";
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : StatisticsCollector.DEFAULT_BATCH_SIZE;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 11;
        Path model = TestFiles.model(modelName);
        float[][] images = TestFiles.images(TestFiles.calibrationImages(), 0, 0);
        int samples = images.length;
        IntFunction<Map<String, Tensor>> inputs = TestFiles.inputs(images, Tensor::ofFloats);
        List<String> activations = RealModels.activationInputsOfWeightedOps(model);

        List<StatisticRequest> requests = new ArrayList<>();
        for (String tensor : activations) {
            requests.add(StatisticRequest.perTensor(tensor, Reducer.MIN, Aggregator.MEAN));
            requests.add(StatisticRequest.perTensor(tensor, Reducer.MAX, Aggregator.MEAN));
            requests.add(StatisticRequest.perTensor(tensor, Reducer.ABS_MAX, Aggregator.MEAN));
            requests.add(new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.MEAN, -1, 1e-4, 0));
            requests.add(new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.MEAN, -1, 1 - 1e-4, 0));
        }
        System.out.printf("model %s, %d samples, batch %d, %d rounds (median), %d activation tensors: %s%n",
                modelName, samples, batch, rounds, activations.size(), activations);

        try (RealModels.CountingSession bare = RealModels.open(model, Set.of(), 0);
             RealModels.CountingSession withOutputs = RealModels.open(model, StatisticsCollector.tensors(requests), 0)) {
            List<String> logits = List.of(bare.outputNames().get(0));
            List<String> extra = List.copyOf(StatisticsCollector.tensors(requests));
            StatisticsCollector collector = new StatisticsCollector(batch);
            double[] bareTimes = new double[rounds], extraTimes = new double[rounds], collectTimes = new double[rounds];
            double[] oneCallTimes = new double[rounds], topKTimes = new double[rounds];
            // what MinMaxQuantization's default (performance) estimators ask: per-tensor min, max, abs_max only
            List<StatisticRequest> minMax = new ArrayList<>();
            for (StatisticRequest request : requests) {
                if (request.reducer() != Reducer.QUANTILE) minMax.add(request);
            }
            double[] minMaxJava = new double[rounds], minMaxOneCall = new double[rounds];
            org.pot4j.api.graph.Graph graph = org.pot4j.model.OnnxCodec.read(model);
            var backend = new org.pot4j.backend.onnxruntime.internal.OnnxRuntimeBackend();
            CollectedStatistics statistics = null;
            for (int round = -1; round < rounds; round++) { // round -1 warms up
                long start = System.nanoTime();
                runAll(bare, inputs, samples, batch, logits);
                long afterBare = System.nanoTime();
                runAll(withOutputs, inputs, samples, batch, extra);
                long afterExtra = System.nanoTime();
                statistics = collector.collect(withOutputs, requests, samples, inputs, null, null);
                long afterCollect = System.nanoTime();
                // the one-call pass: ORT reduces inside an augmented copy (tensors with quantile requests: whole, in
                // Java; then the variant with TopK in ORT); opening and closing the session included
                statistics = collector.collect(backend, graph, org.pot4j.api.backend.SessionOptions.defaults(), requests,
                        samples, inputs, null, null);
                long afterOneCall = System.nanoTime();
                new StatisticsCollector(batch, true).collect(backend, graph, org.pot4j.api.backend.SessionOptions.defaults(),
                        requests, samples, inputs, null, null);
                long afterTopK = System.nanoTime();
                collector.collect(withOutputs, minMax, samples, inputs, null, null);
                long afterMinMaxJava = System.nanoTime();
                collector.collect(backend, graph, org.pot4j.api.backend.SessionOptions.defaults(), minMax, samples,
                        inputs, null, null);
                long afterMinMaxOneCall = System.nanoTime();
                if (round >= 0) {
                    minMaxJava[round] = (afterMinMaxJava - afterTopK) / 1e6;
                    minMaxOneCall[round] = (afterMinMaxOneCall - afterMinMaxJava) / 1e6;
                    topKTimes[round] = (afterTopK - afterOneCall) / 1e6;
                    bareTimes[round] = (afterBare - start) / 1e6;
                    extraTimes[round] = (afterExtra - afterBare) / 1e6;
                    collectTimes[round] = (afterCollect - afterExtra) / 1e6;
                    oneCallTimes[round] = (afterOneCall - afterCollect) / 1e6;
                }
            }
            // the reduction alone: replay recorded outputs through a session that does no work
            List<Map<String, Tensor>> recorded = new ArrayList<>();
            for (int done = 0; done < samples; done += batch) {
                int count = Math.min(batch, samples - done);
                List<Map<String, Tensor>> perSample = new ArrayList<>();
                for (int i = 0; i < count; i++) perSample.add(inputs.apply(done + i));
                recorded.add(withOutputs.run(count == 1 ? perSample.get(0)
                        : StatisticsCollector.concatenate(perSample), extra));
            }
            double[] reduceTimes = new double[rounds];
            for (int round = -1; round < rounds; round++) {
                ReplaySession replay = new ReplaySession(withOutputs, recorded);
                long start = System.nanoTime();
                collector.collect(replay, requests, samples, inputs, null, null);
                if (round >= 0) reduceTimes[round] = (System.nanoTime() - start) / 1e6;
            }
            // median and best round: on a shared machine the best round is the least disturbed
            System.out.printf("%-46s %10s %10s%n", "", "median ms", "best ms");
            System.out.printf("%-46s %10.1f %10.1f%n", "bare ORT inference (logits only)", median(bareTimes), min(bareTimes));
            System.out.printf("%-46s %10.1f %10.1f%n", "ORT inference with the extra outputs only", median(extraTimes),
                    min(extraTimes));
            System.out.printf("%-46s %10.1f %10.1f%n", "statistics collection (" + requests.size() + " requests)",
                    median(collectTimes), min(collectTimes));
            System.out.printf("%-46s %10.1f %10.1f%n", "  of which reduction + aggregation (replayed)", median(reduceTimes),
                    min(reduceTimes));
            System.out.printf("%-46s %10.2f %10.2f%n", "ratio Java-reduced collection / bare inference",
                    median(collectTimes) / median(bareTimes), min(collectTimes) / min(bareTimes));
            System.out.printf("%-46s %10.1f %10.1f%n", "one-call collection, reduced inside ORT", median(oneCallTimes),
                    min(oneCallTimes));
            System.out.printf("%-46s %10.2f %10.2f   (goal <= 1.3)%n", "ratio one-call collection / bare inference",
                    median(oneCallTimes) / median(bareTimes), min(oneCallTimes) / min(bareTimes));
            System.out.printf("%-46s %10.1f %10.1f%n", "one-call, quantiles by TopK inside ORT too", median(topKTimes),
                    min(topKTimes));
            System.out.printf("%-46s %10.2f %10.2f%n", "ratio one-call with TopK / bare inference",
                    median(topKTimes) / median(bareTimes), min(topKTimes) / min(bareTimes));
            System.out.printf("min, max, abs_max only (%d requests):%n", minMax.size());
            System.out.printf("%-46s %10.2f %10.2f%n", "  ratio whole tensors reduced in Java / bare",
                    median(minMaxJava) / median(bareTimes), min(minMaxJava) / min(bareTimes));
            System.out.printf("%-46s %10.2f %10.2f%n", "  ratio one-call, reduced inside ORT / bare",
                    median(minMaxOneCall) / median(bareTimes), min(minMaxOneCall) / min(bareTimes));
            for (String tensor : activations) {
                System.out.printf("  %-24s min %9.4f  max %9.4f  mean abs_max %9.4f  q1e-4 %9.4f  q(1-1e-4) %9.4f%n",
                        tensor,
                        statistics.get(requests.get(activations.indexOf(tensor) * 5))[0],
                        statistics.get(requests.get(activations.indexOf(tensor) * 5 + 1))[0],
                        statistics.get(requests.get(activations.indexOf(tensor) * 5 + 2))[0],
                        statistics.get(requests.get(activations.indexOf(tensor) * 5 + 3))[0],
                        statistics.get(requests.get(activations.indexOf(tensor) * 5 + 4))[0]);
            }
        }
    }

    private static void runAll(org.pot4j.api.backend.InferenceSession session, IntFunction<Map<String, Tensor>> inputs, int samples, int batch,
                               List<String> outputs) {
        for (int done = 0; done < samples; done += batch) {
            int count = Math.min(batch, samples - done);
            List<Map<String, Tensor>> perSample = new ArrayList<>();
            for (int i = 0; i < count; i++) perSample.add(inputs.apply(done + i));
            session.run(count == 1 ? perSample.get(0) : StatisticsCollector.concatenate(perSample), outputs);
        }
    }

    /** Returns recorded batch outputs in order: measures the collector without inference. */
    private static final class ReplaySession implements org.pot4j.api.backend.InferenceSession {
        private final org.pot4j.api.backend.InferenceSession names;
        private final List<Map<String, Tensor>> recorded;
        private int next;

        ReplaySession(org.pot4j.api.backend.InferenceSession names, List<Map<String, Tensor>> recorded) {
            this.names = names;
            this.recorded = recorded;
        }

        public List<String> inputNames() { return names.inputNames(); }
        public List<String> outputNames() { return names.outputNames(); }
        public Map<String, Tensor> run(Map<String, Tensor> inputs, java.util.Collection<String> outputs) {
            return recorded.get(next++);
        }
        public org.pot4j.api.backend.BenchmarkResult benchmark(Map<String, Tensor> inputs, int w, int i, double s) {
            throw new UnsupportedOperationException();
        }
        public void close() { }
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
