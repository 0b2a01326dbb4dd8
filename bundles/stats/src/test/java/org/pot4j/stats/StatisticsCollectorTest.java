package org.pot4j.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.testsupport.TestFiles;

class StatisticsCollectorTest {
    private static final int SAMPLES = 100;
    private static Path model;
    private static float[][] images;
    private static List<String> activations;
    private static RealModels.CountingSession session;

    @BeforeAll
    static void openCnnRelu() throws Exception {
        model = TestFiles.model("cnn_relu.onnx");
        images = TestFiles.images(TestFiles.calibrationImages(), 0, SAMPLES);
        activations = RealModels.activationInputsOfWeightedOps(model);
        assertTrue(activations.size() >= 3, "cnn_relu has several Conv/Gemm activations: " + activations);
        session = RealModels.open(model, Set.copyOf(activations), 1);
    }

    @AfterAll
    static void close() {
        session.close();
    }

    /** What MinMaxQuantization asks for: per-tensor min/max (mean) and abs_max (mean), quantile preset. */
    private static List<StatisticRequest> minMaxConsumer() {
        List<StatisticRequest> requests = new ArrayList<>();
        for (String tensor : activations) {
            requests.add(StatisticRequest.perTensor(tensor, Reducer.MIN, Aggregator.MEAN));
            requests.add(StatisticRequest.perTensor(tensor, Reducer.MAX, Aggregator.MEAN));
            requests.add(StatisticRequest.perTensor(tensor, Reducer.ABS_MAX, Aggregator.MEAN));
            requests.add(new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.MEAN, -1, 1e-4, 0));
            requests.add(new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.MEAN, -1, 1 - 1e-4, 0));
        }
        return requests;
    }

    /** What bias correction asks for: per-channel means, plus one request the other consumer made too. */
    private static List<StatisticRequest> biasConsumer() {
        List<StatisticRequest> requests = new ArrayList<>();
        for (String tensor : activations) {
            requests.add(new StatisticRequest(tensor, Reducer.MEAN, Aggregator.MEAN, 1, 0, 0));
            requests.add(new StatisticRequest(tensor, Reducer.ABS_QUANTILE, Aggregator.MEDIAN_NO_OUTLIERS, 1, 0.999, 0.02));
        }
        requests.add(StatisticRequest.perTensor(activations.get(1), Reducer.MAX, Aggregator.MEAN));
        return requests;
    }

    private static List<StatisticRequest> both() {
        List<StatisticRequest> all = new ArrayList<>(minMaxConsumer());
        all.addAll(biasConsumer());
        return all;
    }

    @Test
    void twoConsumersAreServedByOnePass() {
        session.runs.set(0);
        Statistics shared = new StatisticsCollector(32).collect(session, both(), SAMPLES, TestFiles.inputs(images, Tensor::ofFloats),
                null, null);
        assertEquals((SAMPLES + 31) / 32, session.runs.get(), "one run per batch of 32: one pass for both consumers");
        assertEquals(SAMPLES, shared.samples());
        assertEquals(StatisticsCollector.merge(both()).size(), shared.requests().size());
        assertTrue(shared.requests().size() < both().size(), "the duplicate request was merged");

        for (List<StatisticRequest> consumer : List.of(minMaxConsumer(), biasConsumer())) {
            Statistics alone = new StatisticsCollector(32).collect(session, consumer, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats),
                    null, null);
            for (StatisticRequest request : consumer) {
                assertArrayEquals(alone.get(request), shared.get(request), request.toString());
            }
        }
    }

    @Test
    void collectedValuesMatchAnIndependentComputation() {
        String tensor = activations.get(1);
        StatisticRequest perChannelMean = new StatisticRequest(tensor, Reducer.MEAN, Aggregator.MEAN, 1, 0, 0);
        StatisticRequest quantileMedian = new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.MEDIAN, -1, 0.99, 0);
        StatisticRequest absMaxHl = StatisticRequest.perTensor(tensor, Reducer.ABS_MAX, Aggregator.HL_ESTIMATOR);
        Statistics statistics = new StatisticsCollector(16).collect(session,
                List.of(perChannelMean, quantileMedian, absMaxHl), 40, TestFiles.inputs(images, Tensor::ofFloats), null, null);

        // sample by sample with plain loops and sorting
        List<double[]> channelMeans = new ArrayList<>();
        double[] quantiles = new double[40], absMaxima = new double[40];
        for (int s = 0; s < 40; s++) {
            Tensor activation = session.run(TestFiles.inputs(images, Tensor::ofFloats).apply(s), List.of(tensor)).get(tensor);
            long[] shape = activation.shape();
            double[] means = new double[(int) shape[1]];
            for (int c = 0; c < means.length; c++) means[c] = Naive.mean(Naive.channel(activation.floats(), shape, 1, c));
            channelMeans.add(means);
            double[] all = Naive.channel(activation.floats(), shape, -1, 0);
            quantiles[s] = Naive.quantile(all, 0.99);
            absMaxima[s] = Arrays.stream(all).map(Math::abs).max().orElseThrow();
        }
        float[] means = statistics.get(perChannelMean);
        assertEquals(channelMeans.get(0).length, means.length);
        for (int c = 0; c < means.length; c++) {
            final int channel = c;
            assertEquals(channelMeans.stream().mapToDouble(m -> m[channel]).average().orElseThrow(), means[c], 1e-4);
        }
        assertEquals(Naive.quantile(quantiles, 0.5), statistics.get(quantileMedian)[0], 1e-4);
        assertEquals(Naive.hodgesLehmann(absMaxima), statistics.get(absMaxHl)[0], 1e-4);
    }

    @Test
    void batchOf32EqualsBatchOf1() {
        List<StatisticRequest> requests = new ArrayList<>();
        for (Reducer reducer : Reducer.values()) {
            for (Aggregator aggregator : Aggregator.values()) {
                requests.add(new StatisticRequest("act", reducer, aggregator, -1, 0.97, 0.05));
                requests.add(new StatisticRequest("act", reducer, aggregator, 1, 0.03, 0));
            }
        }
        requests.add(StatisticRequest.perTensor("out", Reducer.MIN, Aggregator.MIN));
        IntFunction<Map<String, Tensor>> inputs = SyntheticSession::input;
        SyntheticSession synthetic = new SyntheticSession(false);
        CollectedStatistics one = new StatisticsCollector(1).collect(synthetic, requests, 70, inputs, null, null);
        assertEquals(70, synthetic.runs.getAndSet(0));
        CollectedStatistics batched = new StatisticsCollector(32).collect(synthetic, requests, 70, inputs, null, null);
        assertEquals(3, synthetic.runs.get());
        assertEquals(one, batched, "identical values whatever the batch size");

        // the real model too (ORT's kernels may round differently per batch size: allow float noise)
        List<StatisticRequest> real = both();
        Statistics ortOne = new StatisticsCollector(1).collect(session, real, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        Statistics ortBatched = new StatisticsCollector(32).collect(session, real, SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        for (StatisticRequest request : real) {
            float[] a = ortOne.get(request), b = ortBatched.get(request);
            for (int c = 0; c < a.length; c++) {
                assertEquals(a[c], b[c], 1e-4 * Math.max(1, Math.abs(a[c])), request.toString());
            }
        }
    }

    @Test
    void fixedBatchModelFallsBackToSingleSamples() {
        List<StatisticRequest> requests = List.of(new StatisticRequest("act", Reducer.ABS_MAX, Aggregator.MAX, 1, 0, 0));
        SyntheticSession fixed = new SyntheticSession(true);
        CollectedStatistics fallback = new StatisticsCollector(32).collect(fixed, requests, 40, SyntheticSession::input,
                null, null);
        assertEquals(1 + 40, fixed.runs.get(), "one rejected batch, then one run per sample");
        assertEquals(new StatisticsCollector(1).collect(new SyntheticSession(false), requests, 40,
                SyntheticSession::input, null, null), fallback);
    }

    @Test
    void progressIsReportedPerSampleAndCancellationStopsThePass() {
        List<StatisticRequest> requests = List.of(StatisticRequest.perTensor("act", Reducer.MAX, Aggregator.MEAN));
        List<Integer> done = new ArrayList<>();
        new StatisticsCollector(8).collect(new SyntheticSession(false), requests, 20, SyntheticSession::input,
                (d, total) -> {
                    assertEquals(20, total);
                    done.add(d);
                }, () -> false);
        assertEquals(20, done.size());
        for (int i = 0; i < 20; i++) assertEquals(i + 1, done.get(i));

        SyntheticSession counted = new SyntheticSession(false);
        int[] seen = {0};
        Pot4jException cancelled = assertThrows(Pot4jException.class, () -> new StatisticsCollector(8).collect(counted,
                requests, 100, SyntheticSession::input, (d, total) -> seen[0] = d, () -> seen[0] >= 12));
        assertEquals("CANCELLED", cancelled.code());
        assertEquals(12, seen[0], "stopped between samples as soon as asked");
        assertEquals(2, counted.runs.get(), "no run after the cancel");
    }

    @Test
    void badRequestsAreNamedErrors() {
        SyntheticSession synthetic = new SyntheticSession(false);
        InvalidInputException missing = assertThrows(InvalidInputException.class, () -> new StatisticsCollector().collect(
                synthetic, List.of(StatisticRequest.perTensor("conv9", Reducer.MAX, Aggregator.MAX)), 4,
                SyntheticSession::input, null, null));
        assertEquals("statistics[0].tensor", missing.field());
        assertEquals("conv9", missing.value());
        assertTrue(missing.getMessage().contains("act"), missing.getMessage());

        InvalidInputException level = assertThrows(InvalidInputException.class, () -> new StatisticsCollector().collect(
                synthetic, List.of(new StatisticRequest("act", Reducer.QUANTILE, Aggregator.MAX, -1, 1.5, 0)), 4,
                SyntheticSession::input, null, null));
        assertEquals("statistics[0].quantile", level.field());

        InvalidInputException axis = assertThrows(InvalidInputException.class, () -> new StatisticsCollector().collect(
                synthetic, List.of(new StatisticRequest("out", Reducer.MAX, Aggregator.MAX, 2, 0, 0)), 4,
                SyntheticSession::input, null, null));
        assertEquals("statistics.channel_axis", axis.field());
    }

    @Test
    void datasetSourceEqualsFunctionSource() {
        Dataset dataset = new Dataset() {
            public int size() { return images.length; }
            public Sample get(int index) {
                return new Sample(index, Tensor.ofFloats(new long[] {1, 28, 28}, images[index]), null);
            }
            public boolean annotated() { return false; }
            public String identity() { return "calib-300-first-100"; }
        };
        int[] indices = new int[50];
        for (int i = 0; i < 50; i++) indices[i] = 2 * i;
        List<StatisticRequest> requests = minMaxConsumer();
        CollectedStatistics fromDataset = new StatisticsCollector().collect(session, requests, dataset, "input", indices,
                null, null);
        CollectedStatistics fromFunction = new StatisticsCollector().collect(session, requests, 50,
                i -> TestFiles.inputs(images, Tensor::ofFloats).apply(2 * i), null, null);
        assertEquals(fromFunction, fromDataset);
        InvalidInputException outside = assertThrows(InvalidInputException.class, () -> new StatisticsCollector()
                .collect(session, requests, dataset, "input", new int[] {0, 100}, null, null));
        assertEquals("statistics.indices[1]", outside.field());
    }

    @Test
    void tensorsListsEachRequestedTensorOnce() {
        assertEquals(activations, new ArrayList<>(StatisticsCollector.tensors(both())));
        assertFalse(StatisticsCollector.tensors(List.of()).iterator().hasNext());
    }
}
