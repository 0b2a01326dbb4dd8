package org.pot4j.stats;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.stats.internal.FusedReduction;
import org.pot4j.stats.internal.GraphReductions;

/**
 * Collects the statistics several consumers requested in one pass of the model over the samples.
 * <p>
 * Requests are normalized and de-duplicated; requests that differ only in the aggregator share
 * their per-sample values. Two ways in: the one-call {@code collect(backend, graph, ...)} augments a copy
 * of the model so ONNX Runtime itself reduces min / max / abs_max / mean and returns [B] or [B, C]
 * values, and owns the session; the session-based {@code collect(session, ...)} takes a session the
 * caller opened with {@link #tensors(List)} as extra outputs and reduces whole tensors in Java. Samples run {@link #batchSize()} at a time; every sample of a batch is reduced on its
 * own right after the run, so the pass keeps one float per request, channel and sample, and no
 * activation beyond the current batch. Results do not depend on the batch size.
 * <p>
 * If the model rejects a batch larger than 1 (fixed batch dimension) or a requested tensor has no
 * batch dimension, the collector continues one sample per run. Instances are immutable and can
 * be shared; each {@code collect} call is independent.
 */
public final class StatisticsCollector {

    /**
     * Samples per run. Measured on the shared models (300 samples, 1 ORT thread): batch 8 gave the lowest
     * statistics-pass / bare-inference ratio of 4, 8, 16 and 32 for both (activations of a batch stay in cache
     * while ORT reduces them right after their producer).
     */
    public static final int DEFAULT_BATCH_SIZE = 8;

    private final int batchSize;
    private final boolean quantilesInGraph;
    private final boolean pipelined;
    private final int parallelRequests;

    public StatisticsCollector() {
        this(DEFAULT_BATCH_SIZE);
    }

    public StatisticsCollector(int batchSize) {
        this(batchSize, false);
    }

    /**
     * @param requests parallel inference requests of the one-call pass, as POT's engine {@code stat_requests_number}:
     *                 that many sessions on the augmented model, opened together, each running every
     *                 {@code requests}-th batch on its own thread (each session holds its own copy of the
     *                 weights). Batches stay the same, so the statistics are identical to one request's.
     */
    public StatisticsCollector(int batchSize, int requests) {
        this(batchSize, false, true, requests);
    }

    /**
     * @param quantilesInGraph whether the one-call pass computes extreme quantiles with TopK inside ONNX Runtime;
     *                         by default (false) a tensor with a quantile request is returned whole and all its
     *                         reducers run in Java's single fused pass, which measured faster than two TopK
     *                         passes plus their shape arithmetic (see README)
     */
    public StatisticsCollector(int batchSize, boolean quantilesInGraph) {
        this(batchSize, quantilesInGraph, true);
    }

    /**
     * @param pipelined whether a second thread reduces each batch while ONNX Runtime runs the next one (the
     *                  default); false reduces on the calling thread between runs (same results, for tests)
     */
    StatisticsCollector(int batchSize, boolean quantilesInGraph, boolean pipelined) {
        this(batchSize, quantilesInGraph, pipelined, 1);
    }

    private StatisticsCollector(int batchSize, boolean quantilesInGraph, boolean pipelined, int requests) {
        if (batchSize < 1) {
            throw new InvalidInputException("statistics.batch_size", batchSize, "a positive number of samples per run");
        }
        if (requests < 1) {
            throw new InvalidInputException("engine.stat_requests_number", requests,
                    "a positive number of parallel inference requests");
        }
        this.batchSize = batchSize;
        this.quantilesInGraph = quantilesInGraph;
        this.pipelined = pipelined;
        this.parallelRequests = requests;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Parallel inference requests (sessions) of the one-call pass. */
    public int requests() {
        return parallelRequests;
    }

    /** The tensors to open the session with as extra outputs (model inputs and outputs may be among them). */
    public static Set<String> tensors(List<StatisticRequest> requests) {
        Set<String> tensors = new LinkedHashSet<>();
        for (StatisticRequest request : requests) {
            tensors.add(request.tensor());
        }
        return tensors;
    }

    /** The distinct requests after {@link CollectedStatistics#normalize normalization}, in first-seen order. */
    public static List<StatisticRequest> merge(List<StatisticRequest> requests) {
        Set<StatisticRequest> unique = new LinkedHashSet<>();
        for (StatisticRequest request : requests) {
            unique.add(CollectedStatistics.normalize(request));
        }
        return new ArrayList<>(unique);
    }

    /**
     * Model inputs for {@code indices[i]} of {@code dataset}: {@code inputName} with the sample's
     * input and a leading batch dimension of 1.
     */
    public static IntFunction<Map<String, Tensor>> samplesOf(Dataset dataset, String inputName, int[] indices) {
        int[] chosen = indices.clone();
        return i -> {
            Sample sample = dataset.get(chosen[i]);
            Tensor input = sample.input();
            long[] shape = input.shape();
            long[] batched = new long[shape.length + 1];
            batched[0] = 1;
            System.arraycopy(shape, 0, batched, 1, shape.length);
            return Map.of(inputName, input.reshape(batched));
        };
    }

    /** {@link #collect(InferenceSession, List, int, IntFunction, ProgressListener, BooleanSupplier)} over dataset samples. */
    public CollectedStatistics collect(InferenceSession session, List<StatisticRequest> requests, Dataset dataset,
                                       String inputName, int[] indices, ProgressListener progress,
                                       BooleanSupplier cancelled) {
        checkIndices(dataset, indices);
        return collect(session, requests, indices.length, samplesOf(dataset, inputName, indices), progress,
                cancelled);
    }

    /**
     * Runs the model over samples {@code 0 .. sampleCount-1} and returns every request's aggregated value.
     *
     * @param session     opened with {@link #tensors(List)} as extra outputs
     * @param samples     model inputs of sample i, each with batch dimension 1
     * @param progress    told (done, total) after each sample
     * @param cancelled   checked between samples; when true the pass stops with a Pot4jException "CANCELLED"
     */
    public CollectedStatistics collect(InferenceSession session, List<StatisticRequest> requests, int sampleCount,
                                       IntFunction<Map<String, Tensor>> samples, ProgressListener progress,
                                       BooleanSupplier cancelled) {
        List<StatisticRequest> merged = merge(requests);
        validate(merged);
        validateAvailable(merged, session);
        if (merged.isEmpty()) {
            return new CollectedStatistics(Map.of(), 0);
        }
        if (sampleCount < 1) {
            throw new InvalidInputException("statistics.samples", sampleCount, "at least 1 sample");
        }
        // sequential: the caller's session, and a cancel stops before any further run (see run)
        return run(session, new Pass(merged, sampleCount, Augmented.NONE), samples, progress, cancelled, false);
    }

    /**
     * The one-call pass: augments a copy of {@code model} so that ONNX Runtime itself reduces what it
     * can (min, max, abs_max, mean, extreme quantiles; see {@link GraphReductions}) and returns only
     * those small per-sample values, opens a session on it with {@code options} (its extra outputs
     * replaced by what the pass needs), runs the samples in batches and closes the session. Requests
     * ORT cannot reduce (other quantile levels, channel axis 0, initializers, models below opset 13)
     * read their whole tensor as {@link #collect(InferenceSession, List, int, IntFunction, ProgressListener,
     * BooleanSupplier)} does. Results equal that method's within float rounding: see the README.
     *
     * @param inputName the model input the samples feed; null: the model's first input
     * @param indices   dataset samples to run, in order
     */
    public CollectedStatistics collect(InferenceBackend backend, Graph model, SessionOptions options,
                                       List<StatisticRequest> requests, Dataset dataset, String inputName,
                                       int[] indices, ProgressListener progress, BooleanSupplier cancelled) {
        checkIndices(dataset, indices);
        String input = inputName;
        if (input == null) {
            if (model.inputs().isEmpty()) {
                throw new InvalidInputException("model.inputs", "[]", "a model with at least one input");
            }
            input = model.inputs().get(0).name();
        }
        return collect(backend, model, options, requests, indices.length, samplesOf(dataset, input, indices),
                progress, cancelled);
    }

    /** {@link #collect(InferenceBackend, Graph, SessionOptions, List, Dataset, String, int[], ProgressListener,
     * BooleanSupplier)} over samples {@code 0 .. sampleCount-1} given as model inputs with batch dimension 1. */
    public CollectedStatistics collect(InferenceBackend backend, Graph model, SessionOptions options,
                                       List<StatisticRequest> requests, int sampleCount,
                                       IntFunction<Map<String, Tensor>> samples, ProgressListener progress,
                                       BooleanSupplier cancelled) {
        List<StatisticRequest> merged = merge(requests);
        validate(merged);
        validateInGraph(merged, model);
        if (merged.isEmpty()) {
            return new CollectedStatistics(Map.of(), 0);
        }
        if (sampleCount < 1) {
            throw new InvalidInputException("statistics.samples", sampleCount, "at least 1 sample");
        }
        Graph augmented = model.copy();
        Augmented inGraph = augment(augmented, merged);
        Pass pass = new Pass(merged, sampleCount, inGraph);
        SessionOptions effective = (options == null ? SessionOptions.defaults() : options)
                .withExtraOutputs(new LinkedHashSet<>(pass.sessionOutputs()));
        Graph runnable = inGraph.outputs().isEmpty() ? model : augmented;
        int sessions = (int) Math.min(parallelRequests, (sampleCount + (long) batchSize - 1) / batchSize);
        if (sessions > 1) {
            return new ParallelPass(backend, runnable, effective, pass, samples, progress, cancelled, sessions).run();
        }
        try (InferenceSession session = backend.open(runnable, effective)) {
            return run(session, pass, samples, progress, cancelled, pipelined);
        }
    }

    /**
     * {@link #requests()} sessions over one pass: the first session runs the first batch alone (it learns the
     * joined output's layout, or finds the model cannot run batches: then that session finishes the pass as
     * {@link #run} does) while the others open; then session i runs batches i, i + n, i + 2n, ... on its own
     * thread. Reductions are serialized on the pass (they are small next to a run), samples are built one at a
     * time (a dataset need not be thread-safe), progress counts completed samples, the first failure or a
     * cancel stops every request before its next batch and is rethrown here, after all sessions are closed.
     */
    private final class ParallelPass {
        private final InferenceBackend backend;
        private final Graph graph;
        private final SessionOptions options;
        private final Pass pass;
        private final IntFunction<Map<String, Tensor>> samples;
        private final ProgressListener listener;
        private final BooleanSupplier stop;
        private final int sessions;
        private final CountDownLatch firstBatch = new CountDownLatch(1);
        private final AtomicReference<Throwable> failure =
                new AtomicReference<>();
        private volatile boolean abandoned;
        private int reported;
        /** Held while building samples: a dataset need not be thread-safe. */
        private final Object sampling = new Object();

        ParallelPass(InferenceBackend backend, Graph graph, SessionOptions options, Pass pass,
                     IntFunction<Map<String, Tensor>> samples, ProgressListener progress, BooleanSupplier cancelled,
                     int sessions) {
            this.backend = backend;
            this.graph = graph;
            this.options = options;
            this.pass = pass;
            this.samples = samples;
            this.listener = progress == null ? ProgressListener.NONE : progress;
            this.stop = cancelled == null ? () -> false : cancelled;
            this.sessions = sessions;
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
                        return StatisticsCollector.this.run(session, pass, samples, listener, stop, false);
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
            checkCancelled(stop, 0, pass.sampleCount);
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
                checkCancelled(stop, reported, pass.sampleCount);
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
            return count == 1 ? perSample.get(0) : concatenate(perSample);
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

    /**
     * Adds in-graph reductions for every request ORT can reduce, grouped by (tensor, channel axis);
     * returns the groups' outputs.
     */
    private Augmented augment(Graph graph, List<StatisticRequest> requests) {
        // a tensor that must come back whole for one request is reduced in Java for all of them: Java's fused
        // pass computes min, max, mean and quantiles together, so ORT reducing it too would only add work
        Set<String> whole = new LinkedHashSet<>();
        for (StatisticRequest request : requests) {
            boolean quantile = request.reducer() == Reducer.QUANTILE || request.reducer() == Reducer.ABS_QUANTILE;
            if ((quantile && !quantilesInGraph) || !GraphReductions.supported(graph, request.tensor(),
                    request.channelAxis(), request.reducer(), request.quantile())) {
                whole.add(request.tensor());
            }
        }
        GraphReductions reductions = new GraphReductions(graph);
        // per-tensor min / max / mean of an NCHW activation come from its per-channel values (max, min or mean of
        // the channels, in Java): one set of NCHWc-friendly pooling nodes serves both granularities
        Set<String> servedPerChannel = new LinkedHashSet<>();
        for (StatisticRequest request : requests) {
            if (!whole.contains(request.tensor()) && request.channelAxis() < 0
                    && reductions.rank(request.tensor()) == 4) {
                servedPerChannel.add(request.tensor());
            }
        }
        for (StatisticRequest request : requests) {
            boolean quantile = request.reducer() == Reducer.QUANTILE || request.reducer() == Reducer.ABS_QUANTILE;
            if (quantile) {
                servedPerChannel.remove(request.tensor());
            }
        }
        Map<List<Object>, List<FusedReduction.Spec>> specs = new LinkedHashMap<>();
        for (StatisticRequest request : requests) {
            if (!whole.contains(request.tensor())) {
                FusedReduction.Spec spec = new FusedReduction.Spec(request.reducer(), request.quantile());
                int axis = request.channelAxis() < 0 && servedPerChannel.contains(request.tensor()) ? 1
                        : request.channelAxis();
                List<FusedReduction.Spec> list = specs.computeIfAbsent(List.of(request.tensor(), axis),
                        key -> new ArrayList<>());
                if (!list.contains(spec)) {
                    list.add(spec);
                }
            }
        }
        Map<List<Object>, GraphReductions.Outputs> outputs = new LinkedHashMap<>();
        specs.forEach((key, list) -> outputs.put(key, reductions.add((String) key.get(0), (Integer) key.get(1), list)));
        for (String tensor : servedPerChannel) {
            outputs.put(List.of(tensor, -1), outputs.get(List.of(tensor, 1)));
        }
        reductions.finish();
        Set<String> parts = new LinkedHashSet<>();
        for (GraphReductions.Outputs reduced : outputs.values()) {
            parts.addAll(reduced.batched());
        }
        if (parts.isEmpty()) {
            return new Augmented(outputs, null, List.of(), null);
        }
        GraphReductions.Gathered gathered = reductions.gather(List.copyOf(parts));
        return new Augmented(outputs, gathered.output(), gathered.layout(), gathered.widths());
    }

    /**
     * The in-graph reductions by (tensor, channel axis), and their batched outputs joined into {@code gathered} in
     * the order of {@code parts}, with each part's values per sample when known before running (else null).
     */
    private record Augmented(Map<List<Object>, GraphReductions.Outputs> outputs, String gathered, List<String> parts,
                             Map<String, Long> widths) {
        static final Augmented NONE = new Augmented(Map.of(), null, List.of(), null);
    }

    /**
     * The batch loop. {@code pipeline}: a second thread reduces batch k while this one runs batch k + 1;
     * progress is still reported in sample order (on this thread, once a batch is reduced) and cancellation
     * checked between reported samples, but a cancel can come after the next batch's run has started.
     */
    private CollectedStatistics run(InferenceSession session, Pass pass, IntFunction<Map<String, Tensor>> samples,
                                    ProgressListener progress, BooleanSupplier cancelled, boolean pipeline) {
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
                        outputs = pass.split(session.run(concatenate(batchInputs), pass.runOutputs()), count);
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

    private static void checkIndices(Dataset dataset, int[] indices) {
        for (int k = 0; k < indices.length; k++) {
            if (indices[k] < 0 || indices[k] >= dataset.size()) {
                throw new InvalidInputException("statistics.indices[" + k + "]", indices[k],
                        "an index in [0, " + dataset.size() + ")");
            }
        }
    }

    private static void checkCancelled(BooleanSupplier cancelled, int done, int total) {
        if (cancelled.getAsBoolean()) {
            throw new Pot4jException("CANCELLED", "statistics collection cancelled after " + done + " of " + total
                    + " samples");
        }
    }

    private static void validate(List<StatisticRequest> requests) {
        for (int i = 0; i < requests.size(); i++) {
            StatisticRequest request = requests.get(i);
            String field = "statistics[" + i + "]";
            if (request.tensor() == null || request.tensor().isBlank()) {
                throw new InvalidInputException(field + ".tensor", request.tensor(), "a tensor name");
            }
            if (request.reducer() == null) {
                throw new InvalidInputException(field + ".reducer", null, "one of " + Arrays.toString(Reducer.values()));
            }
            if (request.aggregator() == null) {
                throw new InvalidInputException(field + ".aggregator", null, "an aggregator");
            }
            if (!(request.quantile() >= 0 && request.quantile() <= 1)) {
                throw new InvalidInputException(field + ".quantile", request.quantile(), "a level in [0, 1]");
            }
            if (!(request.outlierProb() >= 0 && request.outlierProb() < 1)) {
                throw new InvalidInputException(field + ".outlier_prob", request.outlierProb(), "a fraction in [0, 1)");
            }
        }
    }

    private static void validateAvailable(List<StatisticRequest> requests, InferenceSession session) {
        List<String> available = session.outputNames();
        for (int i = 0; i < requests.size(); i++) {
            if (!available.contains(requests.get(i).tensor())) {
                throw new InvalidInputException("statistics[" + i + "].tensor", requests.get(i).tensor(),
                        "an output of the session (open it with StatisticsCollector.tensors(requests) as extra "
                                + "outputs); it has " + available);
            }
        }
    }

    /** Every requested tensor must be a model input or a node output (what a session can return). */
    private static void validateInGraph(List<StatisticRequest> requests, Graph model) {
        Set<String> available = new LinkedHashSet<>();
        model.inputs().forEach(input -> available.add(input.name()));
        model.nodes().forEach(node -> available.addAll(node.outputs()));
        available.remove("");
        for (int i = 0; i < requests.size(); i++) {
            if (!available.contains(requests.get(i).tensor())) {
                List<String> names = new ArrayList<>(available);
                String shown = names.size() <= 12 ? names.toString()
                        : names.subList(0, 12) + " and " + (names.size() - 12) + " more";
                throw new InvalidInputException("statistics[" + i + "].tensor", requests.get(i).tensor(),
                        "a model input or node output of the model, e.g. " + shown);
            }
        }
    }

    /** Stacks per-sample inputs (batch dimension 1 each) along axis 0. */
    static Map<String, Tensor> concatenate(List<Map<String, Tensor>> perSample) {
        Map<String, Tensor> batch = new LinkedHashMap<>();
        int n = perSample.size();
        for (String name : perSample.get(0).keySet()) {
            Tensor first = perSample.get(0).get(name);
            long[] shape = first.shape();
            int size = first.size();
            Object data = Array.newInstance(first.data().getClass().getComponentType(), size * n);
            for (int s = 0; s < n; s++) {
                Tensor tensor = perSample.get(s).get(name);
                if (tensor == null) {
                    throw new InvalidInputException("samples[" + s + "]." + name, null, "an input named " + name
                            + " like sample 0");
                }
                if (tensor.type() != first.type() || !Arrays.equals(tensor.shape(), shape)) {
                    throw new InvalidInputException("samples[" + s + "]." + name, tensor,
                            "the type and shape of sample 0: " + first);
                }
                System.arraycopy(tensor.data(), 0, data, s * size, size);
            }
            if (shape.length == 0 || shape[0] != 1) {
                throw new InvalidInputException("samples[0]." + name, first, "a tensor with batch dimension 1");
            }
            shape[0] = n;
            batch.put(name, new Tensor(first.type(), shape, data));
        }
        return batch;
    }

    /** The state of one pass: merged reductions and their per-sample values. */
    private static final class Pass {
        private final List<StatisticRequest> requests;
        private final int sampleCount;
        /** What the session must return: whole tensors reduced in Java, then the in-graph reductions. */
        private final List<String> outputs;
        /** The in-graph outputs joined into one (null: none), and the outputs it joins, in order. */
        private final String gathered;
        private final List<String> parts;
        /** Per part, its per-sample shape (batch axis removed), learnt from the first run; null until then. */
        private Map<String, long[]> partShapes;
        private int gatheredWidth;
        private final List<String> batchedOutputs = new ArrayList<>();
        private final Map<String, List<Group>> groupsByTensor = new LinkedHashMap<>();
        private final List<InGraphGroup> inGraphGroups = new ArrayList<>();
        private final Map<StatisticRequest, Values> groupOf = new LinkedHashMap<>();
        private final Map<StatisticRequest, Integer> slotOf = new LinkedHashMap<>();

        /** {@code inGraph}: outputs of the reductions the session computes, by (tensor, channel axis). */
        Pass(List<StatisticRequest> requests, int sampleCount, Augmented augmented) {
            this.requests = requests;
            this.sampleCount = sampleCount;
            this.gathered = augmented.gathered();
            this.parts = augmented.parts();
            if (augmented.widths() != null) {
                // every part's size is known: no run needs the parts themselves
                partShapes = new LinkedHashMap<>();
                augmented.widths().forEach((part, width) -> partShapes.put(part, new long[] {width}));
                gatheredWidth = Math.toIntExact(augmented.widths().values().stream().mapToLong(Long::longValue).sum());
            }
            Map<List<Object>, GraphReductions.Outputs> inGraph = augmented.outputs();
            Map<List<Object>, Group> groups = new LinkedHashMap<>();
            Map<List<Object>, InGraphGroup> reducedGroups = new LinkedHashMap<>();
            for (StatisticRequest request : requests) {
                List<Object> key = List.of(request.tensor(), request.channelAxis());
                FusedReduction.Spec spec = new FusedReduction.Spec(request.reducer(), request.quantile());
                GraphReductions.Outputs reduced = inGraph.get(key);
                if (reduced != null && reduced.covers(spec)) {
                    InGraphGroup group = reducedGroups.computeIfAbsent(key, k -> new InGraphGroup(request.tensor(),
                            reduced, request.channelAxis() < 0 && reduced.channelAxis >= 0));
                    groupOf.put(request, group);
                    slotOf.put(request, group.slot(spec));
                    continue;
                }
                Group group = groups.computeIfAbsent(key, k -> new Group(request.tensor(), request.channelAxis()));
                groupsByTensor.computeIfAbsent(request.tensor(), t -> new ArrayList<>());
                if (!groupsByTensor.get(request.tensor()).contains(group)) {
                    groupsByTensor.get(request.tensor()).add(group);
                }
                groupOf.put(request, group);
                slotOf.put(request, group.slot(request));
            }
            for (Group group : groups.values()) {
                group.prepare();
            }
            List<String> names = new ArrayList<>(groupsByTensor.keySet());
            batchedOutputs.addAll(groupsByTensor.keySet());
            for (InGraphGroup group : reducedGroups.values()) {
                group.prepare();
                inGraphGroups.add(group);
                for (String name : group.outputs.names()) {
                    if (!names.contains(name)) names.add(name);
                }
                for (String name : group.outputs.batched()) {
                    if (!batchedOutputs.contains(name)) batchedOutputs.add(name);
                }
            }
            this.outputs = List.copyOf(names);
        }

        /** Every output the session is opened with: the per-run ones and the gathered one. */
        List<String> sessionOutputs() {
            List<String> all = new ArrayList<>(outputs);
            if (gathered != null) {
                if (partShapes != null) all.removeAll(parts); // graph outputs would cost ORT a reorder each
                all.add(gathered);
            }
            return all;
        }

        /** The first run fetches every output (learning the parts' shapes), later runs the gathered one instead. */
        List<String> runOutputs() {
            if (gathered == null || partShapes == null) {
                return outputs;
            }
            List<String> names = new ArrayList<>(outputs);
            names.removeAll(parts);
            names.add(gathered);
            return names;
        }

        /**
         * The outputs by name as the reducers read them: after the first run, the parts are cut out of the
         * gathered [B, K] output; the first run's outputs teach the parts' shapes.
         */
        Map<String, Tensor> split(Map<String, Tensor> returned, int count) {
            if (gathered == null) {
                return returned;
            }
            if (partShapes == null) {
                Map<String, long[]> shapes = new LinkedHashMap<>();
                int width = 0;
                for (String part : parts) {
                    Tensor tensor = returned.get(part);
                    if (tensor == null || tensor.rank() == 0 || tensor.dim(0) != count) {
                        return returned; // not split by batch: the caller falls back to one sample per run
                    }
                    shapes.put(part, Arrays.copyOfRange(tensor.shape(), 1, tensor.rank()));
                    width = Math.addExact(width, Math.toIntExact(tensor.size() / count));
                }
                partShapes = shapes;
                gatheredWidth = width;
                return returned;
            }
            Tensor all = returned(returned, gathered);
            float[] data = all.type() == DataType.FLOAT ? all.floats() : all.toFloats();
            if (data.length != (long) count * gatheredWidth) {
                throw new Pot4jException("BACKEND_ERROR", "the gathered statistics output " + gathered + " has "
                        + data.length + " values for " + count + " samples; expected " + gatheredWidth + " per sample");
            }
            Map<String, Tensor> split = new LinkedHashMap<>(returned);
            split.remove(gathered);
            int offset = 0;
            for (Map.Entry<String, long[]> part : partShapes.entrySet()) {
                long[] sampleShape = part.getValue();
                int width = 1;
                for (long dim : sampleShape) width = Math.multiplyExact(width, Math.toIntExact(dim));
                float[] values = new float[count * width];
                for (int b = 0; b < count; b++) {
                    System.arraycopy(data, b * gatheredWidth + offset, values, b * width, width);
                }
                long[] shape = new long[sampleShape.length + 1];
                shape[0] = count;
                System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
                split.put(part.getKey(), new Tensor(DataType.FLOAT, shape, values));
                offset += width;
            }
            return split;
        }

        /** Whether every requested per-sample output has the batch as its first dimension. */
        boolean splittable(Map<String, Tensor> outputs, int count) {
            for (String tensor : batchedOutputs) {
                Tensor output = outputs.get(tensor);
                if (output == null || output.rank() == 0 || output.dim(0) != count) {
                    return false;
                }
            }
            return true;
        }

        void reduce(Map<String, Tensor> outputs, int count, int indexInBatch, int sampleIndex) {
            for (Map.Entry<String, List<Group>> entry : groupsByTensor.entrySet()) {
                Tensor output = returned(outputs, entry.getKey());
                float[] data = output.type() == DataType.FLOAT ? output.floats() : output.toFloats();
                long[] shape = output.shape();
                int perSample = data.length;
                if (count > 1) {
                    shape[0] = 1;
                    perSample = data.length / count;
                }
                for (Group group : entry.getValue()) {
                    group.reduce(data, indexInBatch * perSample, shape, sampleIndex, sampleCount);
                }
            }
            for (InGraphGroup group : inGraphGroups) {
                group.reduce(outputs, count, indexInBatch, sampleIndex, sampleCount);
            }
        }

        CollectedStatistics aggregate() {
            Map<StatisticRequest, float[]> values = new LinkedHashMap<>();
            for (StatisticRequest request : requests) {
                Values group = groupOf.get(request);
                values.put(request, Aggregators.aggregate(request.aggregator(), group.values()[slotOf.get(request)],
                        sampleCount, group.width(), request.outlierProb()));
            }
            return new CollectedStatistics(values, sampleCount);
        }
    }

    static Tensor returned(Map<String, Tensor> outputs, String name) {
        Tensor output = outputs.get(name);
        if (output == null) {
            throw new Pot4jException("BACKEND_ERROR", "the session did not return requested tensor "
                    + name + "; it returned " + outputs.keySet());
        }
        return output;
    }

    /**
     * The reducers of one tensor, each in a slot, and their per-sample values:
     * values()[slot][sample * width + channel].
     */
    private abstract static class Values {
        final List<FusedReduction.Spec> specs = new ArrayList<>();
        float[][] values;
        int width = -1;

        int slot(FusedReduction.Spec spec) {
            int index = specs.indexOf(spec);
            if (index < 0) {
                specs.add(spec);
                index = specs.size() - 1;
            }
            return index;
        }

        void prepare() {
            values = new float[specs.size()][];
        }

        final float[][] values() {
            return values;
        }

        /** The first sample sets the width (and sizes the per-sample storage); every later one must match it. */
        final void fixWidth(String tensor, int sampleWidth, int sampleIndex, int sampleCount) {
            if (width < 0) {
                width = sampleWidth;
                for (int k = 0; k < values.length; k++) {
                    values[k] = new float[Math.multiplyExact(sampleCount, width)];
                }
            } else if (width != sampleWidth) {
                throw new Pot4jException("BACKEND_ERROR", "tensor " + tensor + " has " + sampleWidth
                        + " channels in sample " + sampleIndex + " but " + width + " before");
            }
        }

        final int width() {
            return width;
        }
    }

    /**
     * The reductions ONNX Runtime computed for one tensor and channel axis: each sample's values are
     * read from [B] / [B, C] outputs (quantiles: interpolated between TopK values as FusedReduction does).
     */
    private static final class InGraphGroup extends Values {
        final String tensor;
        final GraphReductions.Outputs outputs;

        /** Per-tensor values from per-channel outputs: min / max / mean over the channels. */
        final boolean collapse;
        /** The output whose dimension 1 is the width (looked up once: this runs per sample and group). */
        private String widthSource;
        private boolean widthFromExtremes;

        InGraphGroup(String tensor, GraphReductions.Outputs outputs, boolean collapse) {
            this.tensor = tensor;
            this.outputs = outputs;
            this.collapse = collapse;
        }

        void reduce(Map<String, Tensor> returned, int count, int indexInBatch, int sampleIndex, int sampleCount) {
            if (collapse) {
                reduceChannels(returned, count, indexInBatch, sampleIndex, sampleCount);
                return;
            }
            float[] mean = floats(returned, outputs.mean);
            int n = outputs.elementCount == null ? 0
                    : Math.toIntExact(returned(returned, outputs.elementCount).toLongs()[0]);
            int sampleWidth = sampleWidth(returned, count);
            fixWidth(tensor, sampleWidth, sampleIndex, sampleCount);
            int at = indexInBatch * width, out = sampleIndex * width;
            // this sample's minima and maxima, read in place (no copy: this runs per sample and group)
            Located minima = extreme(returned, outputs.minFrom, outputs.min, at, width);
            Located maxima = extreme(returned, outputs.maxFrom, outputs.max, at, width);
            float[] min = minima.values(), max = maxima.values();
            int minAt = minima.at(), maxAt = maxima.at();
            for (int k = 0; k < specs.size(); k++) {
                FusedReduction.Spec spec = specs.get(k);
                float[] target = values[k];
                switch (spec.reducer()) {
                    case MIN -> System.arraycopy(min, minAt, target, out, width);
                    case MAX -> System.arraycopy(max, maxAt, target, out, width);
                    case MEAN -> System.arraycopy(mean, at, target, out, width);
                    case ABS_MAX -> {
                        for (int c = 0; c < width; c++) {
                            target[out + c] = Math.max(Math.abs(min[minAt + c]), Math.abs(max[maxAt + c]));
                        }
                    }
                    case QUANTILE, ABS_QUANTILE -> {
                        Tensor extremes = returned(returned, outputs.extremes.get(spec));
                        float[] sorted = extremes.type() == DataType.FLOAT ? extremes.floats() : extremes.toFloats();
                        int kept = Math.toIntExact(extremes.dim(extremes.rank() - 1));
                        FusedReduction.Ranks ranks = new FusedReduction.Ranks(n, spec.level());
                        boolean top = GraphReductions.fromTop(spec.level());
                        // ascending smallest values: ranks as they are; descending largest: counted from n - 1
                        int first = top ? n - 1 - ranks.lower() : ranks.lower();
                        int second = top ? n - 1 - ranks.upper() : ranks.upper();
                        if (Math.max(first, second) >= kept) {
                            throw new Pot4jException("BACKEND_ERROR", "TopK of " + tensor + " returned " + kept
                                    + " values, quantile " + spec.level() + " of " + n + " needs rank "
                                    + Math.max(first, second));
                        }
                        for (int c = 0; c < width; c++) {
                            int row = (at + c) * kept;
                            target[out + c] = (float) ranks.interpolate(sorted[row + first], sorted[row + second]);
                        }
                    }
                }
            }
            // as the Java reduction (and numpy): a NaN in a channel makes all its statistics NaN; ORT's
            // ReduceMean propagates NaN, its ReduceMin/Max and TopK are not guaranteed to (see README)
            for (int c = 0; c < width; c++) {
                boolean nan = false;
                for (float[] row : values) nan |= Float.isNaN(row[out + c]);
                if (nan) {
                    for (float[] row : values) row[out + c] = Float.NaN;
                }
            }
        }

        /**
         * One value per sample from the channels' min / max / mean (every channel holds the same number of
         * elements, so the mean of the channel means is the tensor's mean); a NaN in any channel makes the
         * sample's statistics NaN, as the per-tensor Java reducer does.
         */
        private void reduceChannels(Map<String, Tensor> returned, int count, int indexInBatch, int sampleIndex,
                                    int sampleCount) {
            int channels = sampleWidth(returned, count);
            if (width < 0) {
                width = 1;
                for (int k = 0; k < values.length; k++) {
                    values[k] = new float[sampleCount];
                }
            }
            int at = indexInBatch * channels;
            float[] mins = floats(returned, outputs.min);
            float[] maxs = floats(returned, outputs.max);
            float[] means = floats(returned, outputs.mean);
            float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
            double sum = 0;
            boolean nan = false;
            for (int c = at; c < at + channels; c++) {
                if (mins != null) { min = Math.min(min, mins[c]); nan |= Float.isNaN(mins[c]); }
                if (maxs != null) { max = Math.max(max, maxs[c]); nan |= Float.isNaN(maxs[c]); }
                if (means != null) { sum += means[c]; nan |= Float.isNaN(means[c]); }
            }
            float mean = (float) (sum / channels);
            for (int k = 0; k < specs.size(); k++) {
                values[k][sampleIndex] = nan ? Float.NaN : switch (specs.get(k).reducer()) {
                    case MIN -> min;
                    case MAX -> max;
                    case MEAN -> mean;
                    case ABS_MAX -> Math.max(Math.abs(min), Math.abs(max));
                    case QUANTILE, ABS_QUANTILE -> throw new IllegalStateException(
                            "quantiles of " + tensor + " are not served per channel");
                };
            }
        }

        private int sampleWidth(Map<String, Tensor> returned, int count) {
            if (widthSource == null) {
                List<String> batched = outputs.batched();
                if (batched.isEmpty()) {
                    throw new IllegalStateException("an in-graph group without outputs: " + tensor);
                }
                widthSource = batched.get(0);
                widthFromExtremes = outputs.extremes.containsValue(widthSource);
            }
            Tensor output = returned(returned, widthSource);
            int rank = output.rank() - (widthFromExtremes ? 1 : 0); // TopK values have their K axis last
            return rank >= 2 ? Math.toIntExact(output.dim(1)) : 1;
        }

        /** Values and where this sample's first channel is among them. */
        private record Located(float[] values, int at) {
        }

        /** A sample's minima or maxima: element 0 of a quantile's TopK rows when {@code from} is set, else the reduction. */
        private Located extreme(Map<String, Tensor> returned, FusedReduction.Spec from, String reduced, int at, int width) {
            return from != null ? new Located(firstOfExtremes(returned, from, at, width), 0)
                    : new Located(floats(returned, reduced), at);
        }

        /** Element 0 of TopK rows at .. at + width - 1: the minimum (ascending) or maximum (descending). */
        private float[] firstOfExtremes(Map<String, Tensor> returned, FusedReduction.Spec spec, int at, int width) {
            Tensor extremes = returned(returned, outputs.extremes.get(spec));
            float[] sorted = extremes.type() == DataType.FLOAT ? extremes.floats() : extremes.toFloats();
            int kept = Math.toIntExact(extremes.dim(extremes.rank() - 1));
            float[] first = new float[width];
            for (int c = 0; c < width; c++) first[c] = sorted[(at + c) * kept];
            return first;
        }


        private static float[] floats(Map<String, Tensor> returned, String name) {
            if (name == null) {
                return null;
            }
            Tensor output = returned(returned, name);
            return output.type() == DataType.FLOAT ? output.floats() : output.toFloats();
        }
    }

    /** The reductions of one tensor with one channel axis, computed together. */
    private static final class Group extends Values {
        final String tensor;
        final int channelAxis;
        FusedReduction fused;

        Group(String tensor, int channelAxis) {
            this.tensor = tensor;
            this.channelAxis = channelAxis;
        }

        int slot(StatisticRequest request) {
            return slot(new FusedReduction.Spec(request.reducer(), request.quantile()));
        }

        @Override
        void prepare() {
            super.prepare();
            fused = new FusedReduction(specs);
        }

        void reduce(float[] data, int offset, long[] sampleShape, int sampleIndex, int sampleCount) {
            int sampleWidth;
            try {
                sampleWidth = FusedReduction.width(sampleShape, channelAxis);
            } catch (IllegalArgumentException badAxis) {
                throw new InvalidInputException("statistics.channel_axis", channelAxis, "an axis of tensor " + tensor
                        + " of shape " + Arrays.toString(sampleShape));
            }
            fixWidth(tensor, sampleWidth, sampleIndex, sampleCount);
            fused.reduce(data, offset, sampleShape, channelAxis, values, sampleIndex * width);
        }
    }
}
