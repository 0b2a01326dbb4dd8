package org.pot4j.orchestrator.internal.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.metric.MetricAccumulator;
import org.pot4j.api.metric.MetricInput;
import org.pot4j.api.tensor.Tensor;

/**
 * Runs a session over dataset samples in batches and feeds every metric. FP32 reference outputs,
 * needed by annotation-free metrics, are computed once per sample and cached for the job.
 */
final class Evaluator {

    interface Progress {
        void update(long done, long total);
    }

    private final Dataset dataset;
    private final List<MetricSpec> metrics;
    private final int batchSize;
    private final Map<Integer, Tensor> referenceOutputs = new ConcurrentHashMap<>();

    Evaluator(Dataset dataset, List<MetricSpec> metrics, int batchSize) {
        this.dataset = dataset;
        this.metrics = List.copyOf(metrics);
        this.batchSize = Math.max(1, batchSize);
    }

    boolean needsReference() {
        return metrics.stream().anyMatch(m -> m.metric().requiresReference());
    }

    /** Fills the reference-output cache from the FP32 session for the given samples. */
    void cacheReference(InferenceSession fp32, int[] indices, BooleanSupplier cancelled) {
        List<Integer> missing = new ArrayList<>();
        for (int index : indices) {
            if (!referenceOutputs.containsKey(index)) {
                missing.add(index);
            }
        }
        int[] todo = missing.stream().mapToInt(Integer::intValue).toArray();
        forEachOutput(fp32, todo, (sample, output) -> referenceOutputs.put(sample.index(), output), null, cancelled);
    }

    EvaluationResult evaluate(InferenceSession session, int[] indices, Progress progress, BooleanSupplier cancelled) {
        List<MetricAccumulator> accumulators = new ArrayList<>();
        metrics.forEach(m -> accumulators.add(m.newAccumulator()));
        boolean reference = needsReference();
        forEachOutput(session, indices, (sample, output) -> {
            Tensor ref = reference ? referenceOutputs.get(sample.index()) : null;
            MetricInput input = new MetricInput(sample.index(), output, sample.label(), ref);
            accumulators.forEach(a -> a.update(input));
        }, progress, cancelled);
        Map<String, Double> values = new LinkedHashMap<>();
        Map<String, double[]> perSample = new LinkedHashMap<>();
        Map<String, Boolean> higher = new LinkedHashMap<>();
        for (MetricAccumulator accumulator : accumulators) {
            values.put(accumulator.name(), accumulator.value());
            perSample.put(accumulator.name(), accumulator.perSampleValues());
            higher.put(accumulator.name(), accumulator.higherIsBetter());
        }
        return new EvaluationResult(values, perSample, higher, indices.clone());
    }

    interface OutputConsumer {
        void accept(Sample sample, Tensor output);
    }

    private void forEachOutput(InferenceSession session, int[] indices, OutputConsumer consumer, Progress progress,
                               BooleanSupplier cancelled) {
        String inputName = session.inputNames().get(0);
        String outputName = session.outputNames().get(0);
        for (int start = 0; start < indices.length; start += batchSize) {
            if (cancelled != null && cancelled.getAsBoolean()) {
                throw new Pot4jException("CANCELLED", "cancelled during evaluation");
            }
            int end = Math.min(indices.length, start + batchSize);
            List<Sample> samples = new ArrayList<>(end - start);
            for (int i = start; i < end; i++) {
                samples.add(dataset.get(indices[i]));
            }
            Tensor batch = Batches.stack(samples);
            Tensor output = session.run(Map.of(inputName, batch), List.of(outputName)).get(outputName);
            for (int i = 0; i < samples.size(); i++) {
                consumer.accept(samples.get(i), Batches.slice(output, i));
            }
            if (progress != null) {
                progress.update(end, indices.length);
            }
        }
    }

    static int[] allIndices(int size) {
        int[] indices = new int[size];
        for (int i = 0; i < size; i++) {
            indices[i] = i;
        }
        return indices;
    }
}
