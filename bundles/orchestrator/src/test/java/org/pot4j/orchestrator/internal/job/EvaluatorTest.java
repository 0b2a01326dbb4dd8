package org.pot4j.orchestrator.internal.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.backend.BenchmarkResult;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.metric.Metric;
import org.pot4j.api.metric.MetricAccumulator;
import org.pot4j.api.metric.MetricInput;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.tensor.Tensor;

/**
 * POT's eval_requests_number: the batches spread over several sessions, on threads of their own, and the metrics
 * still see every sample once, in sample order; a failure or cancel in any session ends the evaluation with it.
 */
class EvaluatorTest {
    private static final int SAMPLES = 53; // 7 batches of 8, the last one short

    /** Sample i holds the values i, i + 0.5. */
    private static final Dataset DATASET = new Dataset() {
        public int size() { return SAMPLES; }
        public Sample get(int index) {
            return new Sample(index, Tensor.ofFloats(new long[] {2}, new float[] {index, index + 0.5f}), index % 3);
        }
        public boolean annotated() { return true; }
        public String identity() { return "synthetic-53"; }
    };

    /** Records the order in which samples arrive; value: the sum of each output's first element. */
    private static final class OrderMetric implements Metric {
        final List<Integer> seen = new CopyOnWriteArrayList<>();
        public List<ParameterDescriptor> parameters() { return List.of(); }
        public boolean requiresAnnotation() { return false; }
        public boolean requiresReference() { return false; }
        public MetricAccumulator create(Parameters parameters) {
            List<Double> values = new ArrayList<>();
            return new MetricAccumulator() {
                public String name() { return "order"; }
                public void update(MetricInput input) {
                    seen.add(input.sampleIndex());
                    values.add((double) input.output().toFloats()[0]);
                }
                public double value() { return values.stream().mapToDouble(Double::doubleValue).sum(); }
                public boolean higherIsBetter() { return true; }
                public double[] perSampleValues() { return values.stream().mapToDouble(Double::doubleValue).toArray(); }
            };
        }
    }

    /** Doubles its input; fails on the batch holding {@code failAt} (sample index), counts runs per thread. */
    private static final class DoublingSession implements InferenceSession {
        final int failAt;
        final AtomicInteger runs = new AtomicInteger();
        final List<String> threads = new CopyOnWriteArrayList<>();

        DoublingSession(int failAt) {
            this.failAt = failAt;
        }

        public List<String> inputNames() { return List.of("x"); }
        public List<String> outputNames() { return List.of("y"); }
        public Map<String, Tensor> run(Map<String, Tensor> inputs, Collection<String> outputs) {
            runs.incrementAndGet();
            threads.add(Thread.currentThread().getName());
            Tensor x = inputs.get("x");
            float[] values = x.toFloats();
            for (int i = 0; i < values.length; i += 2) {
                if ((int) values[i] == failAt) {
                    throw new Pot4jException("INFERENCE_ERROR", "sample " + failAt + " broke the model");
                }
            }
            float[] doubled = new float[values.length];
            for (int i = 0; i < values.length; i++) doubled[i] = 2 * values[i];
            return Map.of("y", Tensor.ofFloats(x.shape(), doubled));
        }
        public BenchmarkResult benchmark(Map<String, Tensor> inputs, int warmup, int iterations, double maxSeconds) {
            throw new UnsupportedOperationException();
        }
        public void close() { }
    }

    private static EvaluationResult evaluate(OrderMetric metric, List<InferenceSession> sessions, List<Long> progress,
                                             java.util.function.BooleanSupplier cancelled) {
        org.pot4j.api.graph.Graph model = new org.pot4j.api.graph.Graph();
        model.inputs().add(new org.pot4j.api.graph.ValueInfo("x", org.pot4j.api.tensor.DataType.FLOAT, List.of(
                org.pot4j.api.graph.ValueInfo.Dim.symbolic("N"), org.pot4j.api.graph.ValueInfo.Dim.of(2))));
        InputFeed feed = InputFeed.bind(model, Map.of(), DATASET.get(0), 8);
        Evaluator evaluator = new Evaluator(DATASET, feed, List.of(new MetricSpec("order", metric, Parameters.empty("m"))));
        return evaluator.evaluate(sessions, Evaluator.allIndices(SAMPLES), (done, total) -> progress.add(done),
                cancelled);
    }

    @Test
    void threeSessionsGiveTheOneSessionResultInSampleOrder() {
        OrderMetric one = new OrderMetric();
        EvaluationResult single = evaluate(one, List.of(new DoublingSession(-1)), new ArrayList<>(), null);
        OrderMetric three = new OrderMetric();
        List<DoublingSession> sessions = List.of(new DoublingSession(-1), new DoublingSession(-1), new DoublingSession(-1));
        List<Long> progress = new CopyOnWriteArrayList<>();
        EvaluationResult parallel = evaluate(three, List.copyOf(sessions), progress, null);
        assertEquals(single.values(), parallel.values());
        assertArrayEquals(single.perSample().get("order"), parallel.perSample().get("order"));
        List<Integer> inOrder = new ArrayList<>();
        for (int i = 0; i < SAMPLES; i++) inOrder.add(i);
        assertEquals(inOrder, three.seen, "the metric sees every sample once, in order");
        assertEquals(List.of(3, 2, 2), sessions.stream().map(s -> s.runs.get()).toList(), "batches 0-6 spread 3, 2, 2");
        assertTrue(sessions.stream().allMatch(s -> s.threads.stream().allMatch(t -> t.startsWith("pot4j-evaluation"))));
        assertEquals(List.of(8L, 16L, 24L, 32L, 40L, 48L, 53L), progress);
    }

    @Test
    void aFailureInOneSessionEndsTheEvaluationWithItsOwnError() {
        // sample 20 is in batch 2, the third session's; the others stop before their next batch
        List<InferenceSession> sessions = List.of(new DoublingSession(-1), new DoublingSession(-1),
                new DoublingSession(20));
        Pot4jException thrown = assertThrows(Pot4jException.class,
                () -> evaluate(new OrderMetric(), sessions, new ArrayList<>(), null));
        assertEquals("INFERENCE_ERROR", thrown.code());
        assertTrue(thrown.getMessage().contains("sample 20"), thrown.getMessage());
    }

    @Test
    void aCancelStopsEverySession() {
        List<DoublingSession> sessions = List.of(new DoublingSession(-1), new DoublingSession(-1));
        AtomicInteger checks = new AtomicInteger();
        Pot4jException thrown = assertThrows(Pot4jException.class, () -> evaluate(new OrderMetric(),
                List.copyOf(sessions), new ArrayList<>(), () -> checks.incrementAndGet() > 3));
        assertEquals("CANCELLED", thrown.code());
        assertTrue(sessions.stream().mapToInt(s -> s.runs.get()).sum() < 7, "not every batch ran");
    }

    @Test
    void evalRequestsNumberIsValidated() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> org.pot4j.orchestrator.internal
                .config.JobConfigParser.parse(Map.of("model", Map.of("model", "a.onnx"), "engine",
                        Map.of("type", "data_free", "eval_requests_number", 0)), java.nio.file.Path.of(".")));
        assertEquals("engine.eval_requests_number", e.field());
    }
}
