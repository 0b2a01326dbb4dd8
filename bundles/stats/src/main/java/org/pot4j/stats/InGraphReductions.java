package org.pot4j.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.stats.internal.FusedReduction;
import org.pot4j.stats.internal.GraphReductions;

/**
 * The in-graph reductions by (tensor, channel axis), and their batched outputs joined into {@code gathered} in
 * the order of {@code parts}, with each part's values per sample when known before running (else null).
 * {@link #add} decides which requests ONNX Runtime reduces and adds those nodes to the model.
 */
record InGraphReductions(Map<List<Object>, GraphReductions.Outputs> outputs, String gathered, List<String> parts,
                         Map<String, Long> widths) {
    /** No in-graph reduction: every requested tensor is returned whole (the session-based pass). */
    static final InGraphReductions NONE = new InGraphReductions(Map.of(), null, List.of(), null);

    /**
     * Adds in-graph reductions to {@code graph} (a copy of the model) for every request ORT can reduce, grouped by
     * (tensor, channel axis); returns the groups' outputs.
     *
     * @param quantilesInGraph whether extreme quantiles are reduced with TopK in the graph (else in Java)
     */
    static InGraphReductions add(Graph graph, List<StatisticRequest> requests, boolean quantilesInGraph) {
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
            return new InGraphReductions(outputs, null, List.of(), null);
        }
        GraphReductions.Gathered gathered = reductions.gather(List.copyOf(parts));
        return new InGraphReductions(outputs, gathered.output(), gathered.layout(), gathered.widths());
    }
}
