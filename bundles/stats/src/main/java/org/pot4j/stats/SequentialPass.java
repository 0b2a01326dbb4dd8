package org.pot4j.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.tensor.Tensor;

/**
 * The statistics pass on one session: batches run one after the other on the calling thread, each reduced right
 * after its run (or, pipelined, on a second thread while the next one runs).
 */
final class SequentialPass {

    private SequentialPass() {
    }

    /**
     * The batch loop: {@code batchSize} samples per run, one per run when the model rejects a batch or a requested
     * tensor has no batch dimension. {@code pipeline}: a second thread reduces batch k while this one runs batch k + 1;
     * progress is still reported in sample order (on this thread, once a batch is reduced) and cancellation
     * checked between reported samples, but a cancel can come after the next batch's run has started.
     */
    static CollectedStatistics run(InferenceSession session, PassState pass, int batchSize,
                                   IntFunction<Map<String, Tensor>> samples, ProgressListener progress,
                                   BooleanSupplier cancelled, boolean pipeline) {
        int sampleCount = pass.sampleCount;
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        BooleanSupplier stop = cancelled == null ? () -> false : cancelled;
        // a single sample has nothing to overlap
        ExecutorService reducer = pipeline && sampleCount > 1 ? Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pot4j-statistics-reducer");
            thread.setDaemon(true);
            return thread;
        }) : null;
        try {
            int effectiveBatch = batchSize;
            int done = 0;
            // the batch handed to the reducer and not yet reported: at most one, so memory holds two batches
            // of activations (one being reduced, one being produced)
            Future<?> pending = null;
            int pendingFrom = 0, pendingCount = 0;
            while (done < sampleCount) {
                checkCancelled(stop, pendingFrom, sampleCount);
                int count = Math.min(effectiveBatch, sampleCount - done);
                List<Map<String, Tensor>> batchInputs = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    batchInputs.add(samples.apply(done + i));
                }
                Map<String, Tensor> outputs = null;
                if (count == 1) {
                    outputs = pass.split(session.run(batchInputs.get(0), pass.runOutputs()), count);
                } else {
                    try {
                        outputs = pass.split(session.run(StatisticsCollector.concatenate(batchInputs),
                                pass.runOutputs()), count);
                    } catch (RuntimeException batchRejected) {
                        if (done > 0) {
                            throw batchRejected; // batches worked before: a real failure
                        }
                    }
                    if (outputs == null || !pass.splittable(outputs, count)) {
                        effectiveBatch = 1;
                        continue; // redo these samples one by one
                    }
                }
                if (pending != null) {
                    await(pending);
                    report(listener, stop, pendingFrom, pendingCount, sampleCount);
                    pending = null;
                    checkCancelled(stop, pendingFrom + pendingCount, sampleCount);
                }
                int from = done;
                Map<String, Tensor> returned = outputs;
                if (reducer == null) {
                    for (int i = 0; i < count; i++) {
                        if (i > 0) {
                            checkCancelled(stop, from + i, sampleCount);
                        }
                        pass.reduce(returned, count, i, from + i);
                        listener.progress(from + i + 1, sampleCount);
                    }
                } else {
                    pending = reducer.submit(() -> {
                        for (int i = 0; i < count; i++) {
                            pass.reduce(returned, count, i, from + i);
                        }
                    });
                    pendingFrom = from;
                    pendingCount = count;
                }
                done += count;
            }
            if (pending != null) {
                await(pending);
                report(listener, stop, pendingFrom, pendingCount, sampleCount);
            }
            return pass.aggregate();
        } finally {
            if (reducer != null) {
                reducer.shutdownNow();
            }
        }
    }

    private static void report(ProgressListener listener, BooleanSupplier stop, int from, int count, int total) {
        for (int i = 1; i <= count; i++) {
            if (i > 1) {
                checkCancelled(stop, from + i - 1, total);
            }
            listener.progress(from + i, total);
        }
    }

    /** Waits for the reducer's batch; its failure is rethrown here, on the calling thread. */
    private static void await(Future<?> reduction) {
        try {
            reduction.get();
        } catch (ExecutionException failed) {
            Throwable cause = failed.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new Pot4jException("INTERNAL_ERROR", "statistics reduction failed: " + cause, cause);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new Pot4jException("CANCELLED", "statistics collection interrupted");
        }
    }

    /** A Pot4jException "CANCELLED" naming how far the pass got, when {@code cancelled} says so. */
    static void checkCancelled(BooleanSupplier cancelled, int done, int total) {
        if (cancelled.getAsBoolean()) {
            throw new Pot4jException("CANCELLED", "statistics collection cancelled after " + done + " of " + total
                    + " samples");
        }
    }
}
