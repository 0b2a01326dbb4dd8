package org.pot4j.orchestrator.internal.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
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
    private final InputFeed feed;
    private final List<MetricSpec> metrics;
    private final int batchSize;
    private final Map<Integer, Map<String, Tensor>> referenceOutputs = new ConcurrentHashMap<>();

    Evaluator(Dataset dataset, InputFeed feed, List<MetricSpec> metrics) {
        this.dataset = dataset;
        this.feed = feed;
        this.metrics = List.copyOf(metrics);
        this.batchSize = feed.batchSize();
    }

    boolean needsReference() {
        return metrics.stream().anyMatch(m -> m.metric().requiresReference());
    }

    /** Fills the reference-output cache from the FP32 session for the given samples. */
    void cacheReference(InferenceSession fp32, int[] indices, BooleanSupplier cancelled) {
        cacheReference(List.of(fp32), indices, cancelled);
    }

    /** As {@link #cacheReference(InferenceSession, int[], BooleanSupplier)}, batches spread over the sessions. */
    void cacheReference(List<InferenceSession> fp32, int[] indices, BooleanSupplier cancelled) {
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
        return evaluate(List.of(session), indices, progress, cancelled);
    }

    /**
     * Evaluates with the batches spread over {@code sessions} (POT's engine {@code eval_requests_number}): session
     * i runs batches i, i + n, ... on its own thread, and the metrics take the outputs in sample order, so the
     * result is the one session's.
     */
    EvaluationResult evaluate(List<InferenceSession> sessions, int[] indices, Progress progress,
                              BooleanSupplier cancelled) {
        List<MetricAccumulator> accumulators = new ArrayList<>();
        metrics.forEach(m -> accumulators.add(m.newAccumulator()));
        boolean reference = needsReference();
        forEachOutput(sessions, indices, (sample, output) -> {
            Map<String, Tensor> ref = reference ? referenceOutputs.get(sample.index()) : null;
            MetricInput input = new MetricInput(sample.index(), output, sample.annotation(), ref);
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
        void accept(Sample sample, Map<String, Tensor> outputs);
    }

    /** A batch's samples and the model's outputs for them (every model output, in the model's order). */
    private record Batch(List<Sample> samples, Map<String, Tensor> outputs) {
        /** Sample {@code i}'s outputs, each with a batch dimension of 1. */
        Map<String, Tensor> of(int i) {
            if (samples.size() == 1) {
                return outputs;
            }
            Map<String, Tensor> sliced = new LinkedHashMap<>();
            outputs.forEach((name, output) -> sliced.put(name, Batches.slice(name, output, i, samples.size())));
            return sliced;
        }
    }

    private Batch run(InferenceSession session, int[] indices, int start, Object sampling) {
        int end = Math.min(indices.length, start + batchSize);
        List<Sample> samples = new ArrayList<>(end - start);
        synchronized (sampling) { // a dataset need not be thread-safe
            for (int i = start; i < end; i++) {
                samples.add(dataset.get(indices[i]));
            }
        }
        Map<String, Tensor> outputs = session.run(feed.batch(samples), List.of());
        return new Batch(samples, outputs);
    }

    private void forEachOutput(List<InferenceSession> sessions, int[] indices, OutputConsumer consumer, Progress progress,
                               BooleanSupplier cancelled) {
        if (sessions.size() > 1 && indices.length > batchSize) {
            forEachOutputInParallel(sessions, indices, consumer, progress, cancelled);
            return;
        }
        for (int start = 0; start < indices.length; start += batchSize) {
            if (cancelled != null && cancelled.getAsBoolean()) {
                throw new Pot4jException("CANCELLED", "cancelled during evaluation");
            }
            Batch batch = run(sessions.get(0), indices, start, this);
            for (int i = 0; i < batch.samples().size(); i++) {
                consumer.accept(batch.samples().get(i), batch.of(i));
            }
            if (progress != null) {
                progress.update(Math.min(indices.length, start + batchSize), indices.length);
            }
        }
    }

    /**
     * Session i runs batches i, i + n, ... on a thread of its own; this thread hands the outputs to the consumer in
     * batch order. The first failure or a cancel stops every session before its next batch and is rethrown here
     * (not the "stopped" of a batch skipped because of it), after every session's thread has returned.
     */
    private void forEachOutputInParallel(List<InferenceSession> sessions, int[] indices, OutputConsumer consumer,
                                         Progress progress, BooleanSupplier cancelled) {
        int requests = sessions.size();
        int batches = (indices.length + batchSize - 1) / batchSize;
        List<CompletableFuture<Batch>> outputs = new ArrayList<>(batches);
        for (int b = 0; b < batches; b++) {
            outputs.add(new CompletableFuture<>());
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Object sampling = new Object();
        ExecutorService pool = Executors.newFixedThreadPool(requests, task -> {
            Thread thread = new Thread(task, "pot4j-evaluation-request");
            thread.setDaemon(true);
            return thread;
        });
        List<Future<?>> running = new ArrayList<>();
        try {
            for (int r = 0; r < requests; r++) {
                InferenceSession session = sessions.get(r);
                int first = r;
                running.add(pool.submit(() -> {
                    for (int b = first; b < batches; b += requests) {
                        if (failure.get() != null) {
                            outputs.get(b).completeExceptionally(new IllegalStateException("stopped"));
                            continue;
                        }
                        try {
                            if (cancelled != null && cancelled.getAsBoolean()) {
                                throw new Pot4jException("CANCELLED", "cancelled during evaluation");
                            }
                            outputs.get(b).complete(run(session, indices, b * batchSize, sampling));
                        } catch (RuntimeException | Error failed) {
                            failure.compareAndSet(null, failed);
                            outputs.get(b).completeExceptionally(failed);
                        }
                    }
                }));
            }
            for (int b = 0; b < batches; b++) {
                Batch batch;
                try {
                    batch = outputs.get(b).join();
                } catch (CompletionException stopped) {
                    Throwable cause = failure.get() != null ? failure.get() : stopped.getCause();
                    if (cause instanceof Error error) {
                        throw error;
                    }
                    throw cause instanceof RuntimeException runtime ? runtime : stopped;
                }
                for (int i = 0; i < batch.samples().size(); i++) {
                    consumer.accept(batch.samples().get(i), batch.of(i));
                }
                if (progress != null) {
                    progress.update(Math.min(indices.length, (b + 1) * batchSize), indices.length);
                }
            }
        } finally {
            failure.compareAndSet(null, new IllegalStateException("evaluation ended"));
            boolean interrupted = false;
            for (Future<?> thread : running) {
                while (true) { // the caller closes the sessions: none may still be running
                    try {
                        thread.get();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (ExecutionException e) {
                        break; // recorded in failure
                    }
                }
            }
            pool.shutdownNow();
            if (interrupted) {
                Thread.currentThread().interrupt();
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
