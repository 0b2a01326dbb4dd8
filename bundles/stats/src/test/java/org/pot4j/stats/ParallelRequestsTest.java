package org.pot4j.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.backend.onnxruntime.internal.OnnxRuntimeBackend;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/**
 * Parallel inference requests (POT's {@code stat_requests_number}) on real models and real ONNX Runtime: the same
 * batches run on several sessions, so the statistics equal one request's exactly; every session is closed whatever
 * happens; a failure or a cancel in any request ends the pass with that error.
 */
class ParallelRequestsTest {
    private static final int SAMPLES = 75; // 10 batches of 8, the last one short
    private static float[][] images;

    @BeforeAll
    static void readImages() throws Exception {
        images = TestFiles.images(TestFiles.calibrationImages(), 0, SAMPLES);
    }

    /** What DefaultQuantization declares (per-tensor ranges, per-channel means) plus a quantile reduced in Java. */
    private static List<StatisticRequest> requests(String model) {
        List<StatisticRequest> requests = new ArrayList<>();
        List<String> activations = RealModels.activationInputsOfWeightedOps(TestFiles.model(model));
        for (String tensor : activations) {
            requests.add(StatisticRequest.perTensor(tensor, Reducer.MIN, Aggregator.MIN));
            requests.add(StatisticRequest.perTensor(tensor, Reducer.ABS_MAX, Aggregator.MEAN));
            requests.add(new StatisticRequest(tensor, Reducer.MEAN, Aggregator.MEAN, 1, 0, 0));
        }
        requests.add(new StatisticRequest(activations.get(1), Reducer.QUANTILE, Aggregator.MEDIAN, -1, 0.5, 0));
        return requests;
    }

    @Test
    void parallelRequestsGiveExactlyTheStatisticsOfOneRequest() {
        for (String model : List.of("cnn_relu.onnx", "mobilenet_v2_tiny.onnx")) {
            Graph graph = OnnxCodec.read(TestFiles.model(model));
            List<StatisticRequest> requests = requests(model);
            SessionOptions options = SessionOptions.defaults().withThreads(1);
            Statistics one = new StatisticsCollector(8, 1).collect(new OnnxRuntimeBackend(), graph, options, requests,
                    SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
            for (int parallel : new int[] {2, 3, 16}) {
                RecordingBackend backend = new RecordingBackend();
                List<Integer> done = new CopyOnWriteArrayList<>();
                Statistics several = new StatisticsCollector(8, parallel).collect(backend, graph, options, requests,
                        SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), (d, total) -> done.add(d), null);
                assertEquals(one, several, model + ", " + parallel + " requests");
                // at most one session per batch (10 batches), each closed
                assertEquals(Math.min(parallel, 10), backend.opened.get(), model + " sessions");
                assertEquals(backend.opened.get(), backend.closed.get(), model + ": every session closed");
                List<Integer> expected = new ArrayList<>();
                for (int i = 1; i <= SAMPLES; i++) expected.add(i);
                assertEquals(expected, done, "progress counts every sample once, in increasing order");
            }
        }
    }

    /** A model with batch dimension 1 rejects batch 0: the first session finishes the pass alone, one sample per run. */
    @Test
    void aModelThatCannotRunBatchesFallsBackToOneSessionOneSamplePerRun() {
        Graph graph = OnnxCodec.read(TestFiles.model("cnn_relu.onnx"));
        ValueInfo input = graph.inputs().get(0);
        graph.inputs().set(0, new ValueInfo(input.name(), input.type(), List.of(ValueInfo.Dim.of(1), ValueInfo.Dim.of(1),
                ValueInfo.Dim.of(28), ValueInfo.Dim.of(28))));
        List<StatisticRequest> requests = requests("cnn_relu.onnx");
        SessionOptions options = SessionOptions.defaults().withThreads(1);
        Statistics oneByOne = new StatisticsCollector(1, 1).collect(new OnnxRuntimeBackend(), graph, options, requests,
                SAMPLES, TestFiles.inputs(images, Tensor::ofFloats), null, null);
        RecordingBackend backend = new RecordingBackend();
        List<Integer> done = new CopyOnWriteArrayList<>();
        Statistics parallel = new StatisticsCollector(8, 2).collect(backend, graph, options, requests, SAMPLES,
                TestFiles.inputs(images, Tensor::ofFloats), (d, total) -> done.add(d), null);
        assertEquals(oneByOne, parallel);
        assertEquals(SAMPLES, done.size(), "every sample reported once");
        assertEquals(backend.opened.get(), backend.closed.get(), "every session closed");
    }

    @Test
    void aFailingSampleInAnotherRequestEndsThePassWithItsErrorAndClosesEverySession() {
        Graph graph = OnnxCodec.read(TestFiles.model("cnn_relu.onnx"));
        IntFunction<Map<String, Tensor>> inputs = TestFiles.inputs(images, Tensor::ofFloats);
        Set<Integer> built = ConcurrentHashMap.newKeySet();
        IntFunction<Map<String, Tensor>> failing = index -> {
            built.add(index);
            if (index == 45) { // batch 5: the second request's (batches 1, 3, 5, ... with two requests)
                throw new InvalidInputException("dataset[45]", "NaN", "finite pixel values");
            }
            return inputs.apply(index);
        };
        RecordingBackend backend = new RecordingBackend();
        InvalidInputException thrown = assertThrows(InvalidInputException.class, () -> new StatisticsCollector(8, 2)
                .collect(backend, graph, SessionOptions.defaults().withThreads(1), requests("cnn_relu.onnx"), SAMPLES,
                        failing, null, null));
        assertTrue(thrown.getMessage().contains("dataset[45]"), thrown.getMessage());
        assertEquals(2, backend.opened.get());
        assertEquals(2, backend.closed.get(), "both sessions closed");
    }

    @Test
    void aCancelStopsEveryRequest() {
        Graph graph = OnnxCodec.read(TestFiles.model("cnn_relu.onnx"));
        AtomicInteger reported = new AtomicInteger();
        RecordingBackend backend = new RecordingBackend();
        Pot4jException thrown = assertThrows(Pot4jException.class, () -> new StatisticsCollector(8, 3).collect(backend,
                graph, SessionOptions.defaults().withThreads(1), requests("cnn_relu.onnx"), SAMPLES,
                TestFiles.inputs(images, Tensor::ofFloats), (done, total) -> reported.set(done), () -> reported.get() >= 24));
        assertEquals("CANCELLED", thrown.code(), thrown.getMessage());
        assertTrue(reported.get() < SAMPLES, "stopped before the end: " + reported.get());
        assertEquals(3, backend.opened.get());
        assertEquals(3, backend.closed.get(), "every session closed");
    }

    @Test
    void requestsMustBePositive() {
        InvalidInputException thrown = assertThrows(InvalidInputException.class, () -> new StatisticsCollector(8, 0));
        assertTrue(thrown.getMessage().contains("engine.stat_requests_number"), thrown.getMessage());
    }

    /** Counts sessions opened and closed, from any thread. */
    private static final class RecordingBackend implements InferenceBackend {
        private final OnnxRuntimeBackend delegate = new OnnxRuntimeBackend();
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();

        @Override
        public InferenceSession open(byte[] onnxModel, SessionOptions sessionOptions) {
            throw new UnsupportedOperationException("the collector opens graphs");
        }

        @Override
        public InferenceSession open(Graph model, SessionOptions sessionOptions) {
            opened.incrementAndGet();
            return new RealModels.CountingSession(delegate.open(model, sessionOptions)) {
                @Override
                public void close() {
                    closed.incrementAndGet();
                    super.close();
                }
            };
        }
    }
}
