package org.pot4j.algorithm.accuracyaware.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;

/**
 * Per-layer sensitivity: every candidate layer reverted alone to floating point (the state
 * requantized with it ignored) and the target metric measured on the ranking subset. The
 * evaluations are independent, so they run on a pool of {@code workers} threads (each evaluation
 * opens its own session through the context; requantizations take turns).
 */
final class LayerRanking {

    /** One layer's entry: the target metric on the subset with it reverted, and the gain over not reverting. */
    record Entry(String node, String opType, double subsetValue, double gain) {
        Map<String, Object> toReport() {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("node", node);
            row.put("op_type", opType);
            row.put("subset_value", subsetValue);
            row.put("gain", gain);
            return row;
        }
    }

    private final AlgorithmContext context;
    private final Requantizer requantizer;
    private final int workers;

    LayerRanking(AlgorithmContext context, Requantizer requantizer, int workers) {
        this.context = context;
        this.requantizer = requantizer;
        this.workers = Math.max(1, workers);
    }

    /**
     * Ranks {@code candidates} of {@code state} on {@code subset} by the gain of {@code metric}
     * (most helpful revert first; ties keep plan order, i.e. the earlier layer first).
     */
    List<Entry> rank(QuantizedState state, List<String> candidates, int[] subset, String metric, Criteria criteria)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(workers, Math.max(1, candidates.size())),
                threads());
        try {
            Future<Double> current = pool.submit(() -> value(state.model(), state.plan(), subset, metric));
            List<Future<Double>> reverted = new ArrayList<>();
            AtomicInteger done = new AtomicInteger();
            for (String node : candidates) {
                reverted.add(pool.submit(() -> {
                    context.checkCancelled();
                    Requantizer.Result candidate = requantizer.quantize(state.base(), state.revertedWith(node));
                    double value = value(candidate.model(), candidate.plan(), subset, metric);
                    context.progress(done.incrementAndGet(), candidates.size());
                    return value;
                }));
            }
            double base = criteria.score(metric, get(current));
            List<Entry> entries = new ArrayList<>();
            for (int i = 0; i < candidates.size(); i++) {
                String node = candidates.get(i);
                double value = get(reverted.get(i));
                String opType = state.model().node(node).map(Node::opType).orElse("?");
                entries.add(new Entry(node, opType, value, criteria.score(metric, value) - base));
            }
            List<Entry> sorted = new ArrayList<>(entries);
            sorted.sort(Comparator.comparingDouble(Entry::gain).reversed());
            return sorted;
        } finally {
            pool.shutdownNow();
        }
    }

    private double value(Graph model, org.pot4j.api.plan.QuantizationPlan plan, int[] subset, String metric) {
        Double value = context.evaluate(model, plan, subset).values().get(metric);
        if (value == null) {
            throw new Pot4jException("METRIC_MISSING", "the evaluation did not report metric " + metric);
        }
        return value;
    }

    private static double get(Future<Double> future) throws Exception {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static ThreadFactory threads() {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "pot4j-accuracy-aware-ranking-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
