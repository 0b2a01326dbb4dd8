package org.pot4j.algorithm.accuracyaware.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;

/**
 * Builds "the model with layers S in floating point" the only way that is exact: the base
 * algorithm run again on the FP32 model and the starting plan, with S added to its ignored scope.
 * Edits that span two layers (channel alignment's bias shift and its compensation, bias
 * correction of the layers after S, equalization) are then made for that model, not patched
 * from another one. The base algorithm's FP32 statistics come from the job's statistics cache,
 * so a candidate costs the algorithm's Java side and the writer, not a statistics pass.
 *
 * <p>The context holds one working model and plan, so requantizations run one at a time; the
 * evaluations of their results may run in parallel.
 */
final class Requantizer {
    static final String REASON = "reverted to floating point by AccuracyAwareQuantization";

    /** A requantized model and plan. */
    record Result(Graph model, QuantizationPlan plan) {
    }

    private final AlgorithmContext context;
    private final String baseName;
    private final Graph fp32;
    private final QuantizationPlan initialPlan;

    Requantizer(AlgorithmContext context, String baseName, Graph fp32, QuantizationPlan initialPlan) {
        this.context = context;
        this.baseName = baseName;
        this.fp32 = fp32;
        this.initialPlan = initialPlan;
    }

    Graph fp32() {
        return fp32;
    }

    /** The base algorithm with {@code baseParams} on the FP32 model, {@code reverted} kept float. */
    synchronized Result quantize(Parameters baseParams, List<String> reverted) throws Exception {
        context.checkCancelled();
        context.setModel(fp32.copy());
        context.setPlan(initialPlan.copy());
        context.run(baseName, reverted.isEmpty() ? baseParams : withoutLatencyCheck(ignoring(baseParams, reverted)));
        QuantizationPlan plan = context.plan();
        // the ignored scope gave them its own reason; the report says who reverted them
        reverted.forEach(node -> plan.revert(node, REASON));
        return new Result(context.model(), plan);
    }

    /**
     * A requantization with layers reverted runs without the base algorithm's latency check (several seconds of
     * benchmarks, and timings would make the ranking's models differ by more than the reverted layer).
     */
    private Parameters withoutLatencyCheck(Parameters params) {
        boolean accepts = context.algorithm(baseName).map(a -> a.parameters().stream()
                .anyMatch(d -> d.name().equals("latency_check"))).orElse(false);
        if (!accepts) {
            return params;
        }
        Map<String, Object> values = new LinkedHashMap<>(params.asMap());
        values.put("latency_check", false);
        return new Parameters(values, params.path(), params.baseDirectory());
    }

    /** {@code baseParams} with {@code nodes} appended to POT's {@code ignored.scope}. */
    static Parameters ignoring(Parameters baseParams, List<String> nodes) {
        Map<String, Object> values = new LinkedHashMap<>(baseParams.asMap());
        Map<String, Object> ignored = new LinkedHashMap<>();
        if (values.get("ignored") instanceof Map<?, ?> given) {
            given.forEach((key, value) -> ignored.put(String.valueOf(key), value));
        }
        Set<String> scope = new LinkedHashSet<>();
        if (ignored.get("scope") instanceof List<?> given) {
            given.forEach(name -> scope.add(String.valueOf(name)));
        }
        scope.addAll(nodes);
        ignored.put("scope", new ArrayList<>(scope));
        values.put("ignored", ignored);
        return new Parameters(values, baseParams.path(), baseParams.baseDirectory());
    }
}
