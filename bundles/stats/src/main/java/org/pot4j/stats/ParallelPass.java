package org.pot4j.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.tensor.Tensor;

/**
 * The one-call pass on {@link StatisticsCollector#requests()} sessions: the first session runs the first batch
 * alone (it learns the joined output's layout, or finds the model cannot run batches: then that session finishes
 * the pass as {@link SequentialPass#run} does) while the others open; then session i runs batches i, i + n,
 * i + 2n, ... on its own thread. Reductions are serialized on the pass (they are small next to a run), samples are
 * built one at a time (a dataset need not be thread-safe), progress counts completed samples, the first failure or
 * a cancel stops every request before its next batch and is rethrown here, after all sessions are closed.
 */
final class ParallelPass {
    private final InferenceBackend backend;
    private final Graph graph;
    private final SessionOptions options;
    private final PassState pass;
    private final IntFunction<Map<String, Tensor>> samples;
    private final ProgressListener listener;
    private final BooleanSupplier stop;
    private final int sessions;
    private final int batchSize;
    private final CountDownLatch firstBatch = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean abandoned;
    private int reported;
    /** Held while building samples: a dataset need not be thread-safe. */
    private final Object sampling = new Object();

    ParallelPass(InferenceBackend backend, Graph graph, SessionOptions options, PassState pass,
                 IntFunction<Map<String, Tensor>> samples, ProgressListener progress, BooleanSupplier cancelled,
                 int sessions, int batchSize) {
        this.backend = backend;
        this.graph = graph;
        this.options = options;
        this.pass = pass;
        this.samples = samples;
        this.listener = progress == null ? ProgressListener.NONE : progress;
        this.stop = cancelled == null ? () -> false : cancelled;
        this.sessions = sessions;
        this.batchSize = batchSize;
    }

    CollectedStatistics run() {
        ExecutorService others = Executors.newFixedThreadPool(sessions - 1, runnable -> {
            Thread thread = new Thread(runnable, "pot4j-statistics-request");
            thread.setDaemon(true);
            return thread;
        });
        List<Future<?>> running = new ArrayList<>();
        try {
            for (int request = 1; request < sessions; request++) {
                int first = request;
                running.add(others.submit(() -> request(first)));
            }
            try (InferenceSession session = backend.open(graph, options)) {
                boolean batched;
                try {
                    batched = firstBatch(session);
                } finally {
                    firstBatch.countDown();
                }
                if (!batched) {
                    // ONNX Runtime rejected the batch: one session, one sample per run, as the sequential pass
                    return SequentialPass.run(session, pass, batchSize, samples, listener, stop, false);
                }
                batches(session, 0);
            } catch (RuntimeException failed) {
                fail(failed);
                abandoned = true;
                firstBatch.countDown(); // the other requests may still wait for batch 0
            }
            for (Future<?> other : running) {
                awaitQuietly(other);
            }
            Throwable failed = failure.get();
            if (failed instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (failed instanceof Error error) {
                throw error;
            }
            synchronized (this) {
                if (reported != pass.sampleCount) { // a guard: every batch is run or the pass has failed
                    throw new IllegalStateException("statistics pass reduced " + reported + " of "
                            + pass.sampleCount + " samples");
                }
            }
            return pass.aggregate();
        } finally {
            abandoned = true;
            firstBatch.countDown();
            for (Future<?> other : running) {
                awaitQuietly(other); // every session is closed before the pass returns or throws
            }
            others.shutdownNow();
        }
    }

    /** Batch 0 on the first session; false when the model does not run it as a batch. */
    private boolean firstBatch(InferenceSession session) {
        SequentialPass.checkCancelled(stop, 0, pass.sampleCount);
        int count = Math.min(batchSize, pass.sampleCount);
        Map<String, Tensor> outputs;
        if (count == 1) {
            reduce(pass.split(session.run(input(0, 1), pass.runOutputs()), 1), 0, 1);
            return true;
        }
        try {
            outputs = pass.split(session.run(input(0, count), pass.runOutputs()), count);
        } catch (RuntimeException batchRejected) {
            abandoned = true;
            return false;
        }
        if (!pass.splittable(outputs, count)) {
            abandoned = true;
            return false;
        }
        reduce(outputs, 0, count);
        return true;
    }

    /** Request {@code request} (> 0): opens its session now, runs its batches once batch 0 is reduced. */
    private void request(int request) {
        try (InferenceSession session = backend.open(graph, options)) {
            firstBatch.await();
            if (!abandoned) {
                batches(session, request);
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            fail(new Pot4jException("CANCELLED", "statistics request interrupted"));
        } catch (RuntimeException | Error failed) {
            fail(failed); // an Error too: the pass must not aggregate without this request's batches
        }
    }

    /** Batches request, request + sessions, ... (batch 0 excluded: the first session ran it). */
    private void batches(InferenceSession session, int request) {
        int batches = (pass.sampleCount + batchSize - 1) / batchSize;
        for (int batch = request == 0 ? sessions : request; batch < batches; batch += sessions) {
            if (failure.get() != null || abandoned && request > 0) {
                return;
            }
            int from = batch * batchSize;
            int count = Math.min(batchSize, pass.sampleCount - from);
            runSamples(session, from, count);
        }
    }

    private void runSamples(InferenceSession session, int from, int count) {
        synchronized (this) {
            SequentialPass.checkCancelled(stop, reported, pass.sampleCount);
        }
        Map<String, Tensor> outputs = pass.split(session.run(input(from, count), pass.runOutputs()), count);
        if (count > 1 && !pass.splittable(outputs, count)) {
            for (int i = 0; i < count; i++) {
                runSamples(session, from + i, 1);
            }
            return;
        }
        reduce(outputs, from, count);
    }

    private Map<String, Tensor> input(int from, int count) {
        List<Map<String, Tensor>> perSample = new ArrayList<>(count);
        synchronized (sampling) {
            for (int i = 0; i < count; i++) {
                perSample.add(samples.apply(from + i));
            }
        }
        return count == 1 ? perSample.get(0) : StatisticsCollector.concatenate(perSample);
    }

    private void reduce(Map<String, Tensor> outputs, int from, int count) {
        synchronized (pass) {
            for (int i = 0; i < count; i++) {
                pass.reduce(outputs, count, i, from + i);
            }
        }
        synchronized (this) {
            for (int i = 0; i < count; i++) {
                listener.progress(++reported, pass.sampleCount);
            }
        }
    }

    private void fail(Throwable failed) {
        if (!failure.compareAndSet(null, failed) && failure.get() != failed) {
            failure.get().addSuppressed(failed);
        }
    }

    private static void awaitQuietly(Future<?> future) {
        boolean interrupted = false;
        while (true) {
            try {
                future.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException | CancellationException e) {
                break; // a request's own failure is recorded by fail()
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
