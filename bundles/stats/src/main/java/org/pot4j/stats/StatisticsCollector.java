package org.pot4j.stats;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.model.ControlFlow;

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
 * <p>
 * This class checks the requests and chooses the pass; the work is in package-private classes, one job each:
 * {@link RequestChecks} (what may be asked), {@link InGraphReductions} (which reductions ONNX Runtime computes, added
 * to a copy of the model), {@link PassState} (the requests' reduction groups, {@link FusedGroup} in Java and
 * {@link InGraphGroup} from the graph's outputs, and their per-sample values), {@link SequentialPass} (the batch
 * loop on one session, optionally pipelined) and {@link ParallelPass} (batches spread over several sessions).
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
        RequestChecks.checkIndices(dataset, indices);
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
        RequestChecks.validate(merged);
        RequestChecks.validateAvailable(merged, session);
        if (merged.isEmpty()) {
            return new CollectedStatistics(Map.of(), 0);
        }
        if (sampleCount < 1) {
            throw new InvalidInputException("statistics.samples", sampleCount, "at least 1 sample");
        }
        // sequential: the caller's session, and a cancel stops before any further run (see run)
        return SequentialPass.run(session, new PassState(merged, sampleCount, InGraphReductions.NONE), batchSize,
                samples, progress, cancelled, false);
    }

    /**
     * The one-call pass: augments a copy of {@code model} so that ONNX Runtime itself reduces what it
     * can (min, max, abs_max, mean, extreme quantiles; see {@link InGraphReductions}) and returns only
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
        RequestChecks.checkIndices(dataset, indices);
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
        RequestChecks.validate(merged);
        RequestChecks.validateInGraph(merged, model);
        if (merged.isEmpty()) {
            return new CollectedStatistics(Map.of(), 0);
        }
        if (sampleCount < 1) {
            throw new InvalidInputException("statistics.samples", sampleCount, "at least 1 sample");
        }
        Graph augmented = model.copy();
        // layers inside If branches: their branches also run unconditionally in the statistics copy (ControlFlow)
        boolean hoisted = ControlFlow.hasIf(augmented) && ControlFlow.hoistBranchesForStatistics(augmented,
                merged.stream().map(StatisticRequest::tensor).collect(java.util.stream.Collectors.toSet()));
        InGraphReductions inGraph = InGraphReductions.add(augmented, merged, quantilesInGraph);
        PassState pass = new PassState(merged, sampleCount, inGraph);
        SessionOptions effective = (options == null ? SessionOptions.defaults() : options)
                .withExtraOutputs(new LinkedHashSet<>(pass.sessionOutputs()));
        Graph runnable = inGraph.outputs().isEmpty() && !hoisted ? model : augmented;
        int sessions = (int) Math.min(parallelRequests, (sampleCount + (long) batchSize - 1) / batchSize);
        try {
            if (sessions > 1) {
                return new ParallelPass(backend, runnable, effective, pass, samples, progress, cancelled, sessions,
                        batchSize).run();
            }
            try (InferenceSession session = backend.open(runnable, effective)) {
                return SequentialPass.run(session, pass, batchSize, samples, progress, cancelled, pipelined);
            }
        } catch (Pot4jException e) {
            if (runnable != augmented || !STATISTICS_GRAPH_FAILURES.contains(e.code())) {
                throw e;
            }
            throw new Pot4jException(STATISTICS_ERROR, "cannot collect statistics of " + merged.size()
                    + " requests on tensors " + tensorNames(merged) + ": ONNX Runtime rejects the statistics graph"
                    + " pot4j added to the model (a tensor whose axis 0 is not the batch, or whose type the"
                    + " reductions do not take); exclude the tensor's node with ignored_scope. ONNX Runtime said: "
                    + e.getMessage(), e);
        }
    }

    /** Code of a statistics pass that ONNX Runtime cannot load or run on the augmented model. */
    public static final String STATISTICS_ERROR = "STATISTICS_ERROR";
    private static final Set<String> STATISTICS_GRAPH_FAILURES = Set.of("MODEL_ERROR", "INFERENCE_ERROR");

    private static String tensorNames(List<StatisticRequest> requests) {
        List<String> names = requests.stream().map(StatisticRequest::tensor).distinct().toList();
        return names.size() <= 5 ? names.toString()
                : names.subList(0, 5) + " and " + (names.size() - 5) + " more";
    }

    private static boolean sameInEverySample(List<Map<String, Tensor>> perSample, String name, Tensor first) {
        for (Map<String, Tensor> sample : perSample) {
            if (sample.get(name) != first) {
                return false;
            }
        }
        return true;
    }

    /**
     * Stacks per-sample inputs (batch dimension 1 each) along axis 0; an input given as the very same tensor in
     * every sample is a constant and passed once, as it is.
     */
    static Map<String, Tensor> concatenate(List<Map<String, Tensor>> perSample) {
        Map<String, Tensor> batch = new LinkedHashMap<>();
        int n = perSample.size();
        for (String name : perSample.get(0).keySet()) {
            Tensor first = perSample.get(0).get(name);
            if (sameInEverySample(perSample, name, first)) {
                batch.put(name, first); // a constant input (one tensor for every run): fed as it is
                continue;
            }
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
}
