package org.pot4j.algorithm.minmax.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/**
 * After the plan is built: FP32 and INT8 (the model with the plan) benchmarked alternately in one process, batch 1,
 * one thread. When INT8 is slower, the planner leaves float, in turn, each quantized region (layers linked through
 * integer kernels) and then ever longer prefixes of the quantized layers, rebuilding the plan from the same statistics
 * (never editing a written model); a trial is kept when it makes INT8 faster than the best so far, and the search
 * stops once INT8 is faster than FP32 or the trials run out. Bounded: {@value #MAX_TRIALS} trials of
 * {@value #ROUNDS} rounds of {@value #SECONDS_PER_RUN} s per model.
 */
final class LatencyCheck {
    static final int MAX_TRIALS = 8;
    static final int ROUNDS = 3;
    static final double SECONDS_PER_RUN = 0.15;
    /** A trial must beat the best ratio by this much to count (timings on a shared machine wobble). */
    static final double MIN_GAIN = 0.03;

    private final AlgorithmContext context;
    private final MinMaxPlanner planner;
    private final Supplier<QuantizationPlan> rebuild;
    private final Map<String, Object> report = new LinkedHashMap<>();

    /** {@code rebuild}: the plan from the planner as it stands (after {@link MinMaxPlanner#keepFloat}). */
    LatencyCheck(AlgorithmContext context, MinMaxPlanner planner, Supplier<QuantizationPlan> rebuild) {
        this.context = context;
        this.planner = planner;
        this.rebuild = rebuild;
    }

    Map<String, Object> report() {
        return report;
    }

    /** The plan to keep: {@code plan} itself when INT8 is already faster or nothing helps, else a rebuilt one. */
    QuantizationPlan run(QuantizationPlan plan) {
        Graph model = context.model();
        report.put("batch", 1);
        report.put("threads", 1);
        Optional<Map<String, Tensor>> inputs = inputs(model);
        if (inputs.isEmpty()) {
            report.put("skipped", "the model has an input that is not a float tensor of known rank");
            return plan;
        }
        SessionOptions options = SessionOptions.defaults().withThreads(1);
        try (InferenceSession fp32 = context.openSession(model, null, options)) {
            double before = ratio(fp32, plan, inputs.get(), options);
            report.put("before", round(before));
            double best = before;
            QuantizationPlan bestPlan = plan;
            List<String> keptFloat = new ArrayList<>();
            List<Map<String, Object>> trials = new ArrayList<>();
            int trial = 0;
            for (List<String> candidateGroup : groups(plan)) {
                List<String> group = candidateGroup.stream().filter(node -> !keptFloat.contains(node)).toList();
                if (group.isEmpty()) {
                    continue;
                }
                if (best < 1 || trial++ >= MAX_TRIALS) {
                    break;
                }
                context.checkCancelled();
                Map<String, String> reasons = new LinkedHashMap<>();
                group.forEach(node -> reasons.put(node, String.format(Locale.ROOT,
                        "latency: INT8 ran at %.2f of FP32 with it quantized", before)));
                planner.keepFloat(reasons);
                QuantizationPlan candidate = rebuild.get();
                double ratio = ratio(fp32, candidate, inputs.get(), options);
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("float", group);
                entry.put("ratio", round(ratio));
                boolean kept = ratio < best * (1 - MIN_GAIN);
                entry.put("kept", kept);
                trials.add(entry);
                if (kept) {
                    best = ratio;
                    bestPlan = candidate;
                    keptFloat.addAll(group);
                } else {
                    planner.unkeepFloat(reasons.keySet());
                }
            }
            if (!trials.isEmpty()) {
                // rebuilt once more so that the planner (its points and kernels) and the plan are those of the kept trials
                bestPlan = rebuild.get();
            }
            report.put("after", round(best));
            report.put("kept_float", keptFloat);
            report.put("trials", trials);
            return bestPlan;
        }
    }

    /** INT8 / FP32: the median over alternated rounds of the per-round ratio of median latencies. */
    private double ratio(InferenceSession fp32, QuantizationPlan plan, Map<String, Tensor> inputs,
                         SessionOptions options) {
        try (InferenceSession int8 = context.openSession(context.model(), plan, options)) {
            double[] ratios = new double[ROUNDS];
            for (int round = 0; round < ROUNDS; round++) {
                int warmup = round == 0 ? 5 : 1;
                double a;
                double b;
                if (round % 2 == 0) {
                    a = fp32.benchmark(inputs, warmup, 1000, SECONDS_PER_RUN).medianMs();
                    b = int8.benchmark(inputs, warmup, 1000, SECONDS_PER_RUN).medianMs();
                } else {
                    b = int8.benchmark(inputs, warmup, 1000, SECONDS_PER_RUN).medianMs();
                    a = fp32.benchmark(inputs, warmup, 1000, SECONDS_PER_RUN).medianMs();
                }
                ratios[round] = b / a;
            }
            Arrays.sort(ratios);
            return ratios[ROUNDS / 2];
        }
    }

    /**
     * What to try leaving float, in order: each quantized region when there are several (largest first), then the
     * first 1, 2, 3 ... quantized layers (narrow early layers are where integer kernels lose most).
     */
    private List<List<String>> groups(QuantizationPlan plan) {
        List<List<String>> groups = new ArrayList<>();
        List<List<String>> regions = planner.regions();
        if (regions.size() > 1) {
            regions.stream().sorted((a, b) -> Integer.compare(b.size(), a.size())).forEach(groups::add);
        }
        List<String> layers = plan.points(QuantizationPoint.Kind.WEIGHT).stream().map(QuantizationPoint::nodeName)
                .distinct().toList();
        for (int k = 1; k <= layers.size(); k++) {
            groups.add(layers.subList(0, k));
        }
        return groups;
    }

    /** Seeded uniform [-1, 1) values for every float input, symbolic dimensions 1. */
    static Optional<Map<String, Tensor>> inputs(Graph model) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        Random random = new Random(0);
        for (ValueInfo input : model.inputs()) {
            if (model.isInitializer(input.name())) {
                continue;
            }
            if (input.type() != DataType.FLOAT || input.dims() == null) {
                return Optional.empty();
            }
            long[] shape = new long[input.dims().size()];
            for (int i = 0; i < shape.length; i++) {
                Long value = input.dims().get(i).value();
                shape[i] = value == null || value <= 0 ? 1 : value;
            }
            float[] data = new float[(int) Tensor.elementCount(shape)];
            for (int i = 0; i < data.length; i++) {
                data[i] = random.nextFloat() * 2 - 1;
            }
            inputs.put(input.name(), Tensor.ofFloats(shape, data));
        }
        return Optional.of(inputs);
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }

}
