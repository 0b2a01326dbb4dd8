package org.pot4j.algorithm.accuracyaware.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.statistics.Statistics;

/**
 * POT's AccuracyAwareQuantization: quantize with {@code base_algorithm}, then give layers back
 * their floating-point precision, most harmful first, until every metric is within
 * {@code maximal_drop} of the FP32 baseline. The loop:
 * <ol>
 * <li>FP32 baseline on the validation set (per metric, unless {@code baseline_value} is given);</li>
 * <li>the base algorithm (all its parameters pass through), optionally a small grid over activation
 *     range estimators ({@code tune_hyperparams}) and the mixed preset ({@code convert_to_mixed_preset});</li>
 * <li>a ranking subset of the samples where FP32 and INT8 disagree most;</li>
 * <li>every quantized layer ranked by the metric gained on that subset when it alone is reverted;</li>
 * <li>greedy reverts, each judged on an acceptance subset first ({@link SubsetAcceptance}) and evaluated on the
 *     full set only when the subset says the bound may hold; a revert that increases the drop is undone
 *     ({@code use_prev_if_drop_increase}) and a revert that does not help triggers re-ranking;
 *     {@code max_iter_num} bounds the iterations.</li>
 * </ol>
 * A model "with layers S reverted" is always the base algorithm's result with S in its ignored
 * scope ({@link Requantizer}), never the quantized model patched by hand: edits that span two
 * layers (channel alignment, bias correction) are then right for the layers that stay quantized.
 * Every iteration publishes a snapshot, a METRIC event and a report entry. The result is the
 * best model seen (smallest worst gap, then fewest reverts); an unreachable bound ends with it
 * and a reason in the report.
 */
@Component(service = QuantizationAlgorithm.class,
        property = QuantizationAlgorithm.PROPERTY + "=AccuracyAwareQuantization")
public final class AccuracyAwareQuantization implements QuantizationAlgorithm {
    static final String NAME = "AccuracyAwareQuantization";
    /** Reverts in a row that did not reduce the gap before the group search takes over. */
    static final int STALL_LIMIT = 3;

    /** Own parameters, with POT's names and defaults. */
    static final List<ParameterDescriptor> OWN = List.of(
            ParameterDescriptor.optional("base_algorithm", ParameterType.STRING, "DefaultQuantization",
                    "algorithm that quantizes the model first; every parameter of it is accepted here too"),
            ParameterDescriptor.bounded("ranking_subset_size", ParameterType.INTEGER, 300, 1.0, null,
                    "validation samples used to rank layers (those where FP32 and INT8 disagree most)"),
            // bounded to an int: the value is used as one (2^32 would otherwise wrap to 0 iterations)
            ParameterDescriptor.bounded("max_iter_num", ParameterType.INTEGER, null, 0.0, (double) Integer.MAX_VALUE,
                    "maximum number of revert iterations (default: the number of quantized layers)"),
            ParameterDescriptor.bounded("maximal_drop", ParameterType.NUMBER, 0.01, 0.0, null,
                    "largest accepted metric drop"),
            ParameterDescriptor.choice("drop_type", "absolute", List.of("absolute", "relative"),
                    "drop measured in metric units, or relative to the FP32 baseline"),
            ParameterDescriptor.optional("use_prev_if_drop_increase", ParameterType.BOOLEAN, true,
                    "undo a revert that increases the drop or reduces it only within the noise (and re-rank)"),
            ParameterDescriptor.optional("convert_to_mixed_preset", ParameterType.BOOLEAN, false,
                    "retry with the mixed preset before reverting when performance misses the bound"),
            ParameterDescriptor.optional("metrics", ParameterType.LIST, null,
                    "[{name, baseline_value}]: metrics to satisfy (default: all of the job's), optional FP32 baselines"),
            ParameterDescriptor.bounded("metric_subset_ratio", ParameterType.NUMBER, 0.5, 0.0, 1.0,
                    "part of the validation set compared FP32 vs INT8 when every baseline_value is given"),
            ParameterDescriptor.optional("tune_hyperparams", ParameterType.BOOLEAN, false,
                    "try a small grid of activation range estimators before reverting"),
            ParameterDescriptor.optional("annotation_free", ParameterType.BOOLEAN, false,
                    "allow a dataset without labels (with annotation-free metrics such as similarity)"),
            ParameterDescriptor.bounded("ranking_workers", ParameterType.INTEGER, 2, 1.0, 64.0,
                    "parallel evaluations during layer ranking"),
            ParameterDescriptor.bounded("acceptance_subset_size", ParameterType.INTEGER, 1000, 0.0, null,
                    "judge each revert on this many validation samples first, and on the full set only when they "
                            + "say the bound may hold (used when the set is more than twice as large; 0: always the full set)"));

    /**
     * Parameters of the base algorithm, accepted here and passed through untouched (no defaults
     * here: the base algorithm fills in its own). These are DefaultQuantization's.
     */
    static final List<ParameterDescriptor> BASE = List.of(
            ParameterDescriptor.choice("preset", null, List.of("performance", "mixed", "accuracy"),
                    "base algorithm: performance, mixed or accuracy"),
            ParameterDescriptor.optional("stat_subset_size", ParameterType.INTEGER, null, "base algorithm"),
            ParameterDescriptor.optional("stat_batch_size", ParameterType.INTEGER, null, "base algorithm"),
            ParameterDescriptor.optional("shuffle_data", ParameterType.BOOLEAN, null, "base algorithm"),
            ParameterDescriptor.optional("seed", ParameterType.INTEGER, null,
                    "base algorithm; also the seed of the comparison subset"),
            ParameterDescriptor.optional("weights", ParameterType.OBJECT, null, "base algorithm"),
            ParameterDescriptor.optional("activations", ParameterType.OBJECT, null, "base algorithm"),
            ParameterDescriptor.optional("ignored", ParameterType.OBJECT, null, "base algorithm"),
            ParameterDescriptor.optional("ignored_scope", ParameterType.OBJECT, null, "base algorithm"),
            ParameterDescriptor.optional("saturation_fix", ParameterType.STRING, null, "base algorithm"),
            ParameterDescriptor.optional("float_stem", ParameterType.BOOLEAN, null, "base algorithm"),
            ParameterDescriptor.optional("latency_check", ParameterType.BOOLEAN, null, "base algorithm"),
            ParameterDescriptor.optional("model_type", ParameterType.STRING, null, "base algorithm"),
            ParameterDescriptor.optional("inplace_statistics", ParameterType.BOOLEAN, null, "base algorithm"),
            ParameterDescriptor.optional("use_fast_bias", ParameterType.BOOLEAN, null, "base algorithm"),
            ParameterDescriptor.optional("cross_layer_equalization", ParameterType.ANY, null, "base algorithm"),
            ParameterDescriptor.optional("threshold", ParameterType.NUMBER, null, "base algorithm"),
            ParameterDescriptor.optional("apply_for_all_nodes", ParameterType.BOOLEAN, null, "base algorithm"));

    static final List<ParameterDescriptor> PARAMETERS;

    static {
        List<ParameterDescriptor> all = new ArrayList<>(OWN);
        all.addAll(BASE);
        PARAMETERS = List.copyOf(all);
    }

    /** tune_hyperparams: activation range estimators tried besides the configured one (POT's usual choices). */
    static final List<Map<String, Object>> RANGE_ESTIMATOR_GRID = List.of(
            Map.of("preset", "quantile"),
            Map.of("preset", "quantile", "min", Map.of("outlier_prob", 1e-3), "max", Map.of("outlier_prob", 1e-3)),
            Map.of("max", Map.of("aggregator", "max")),
            Map.of("max", Map.of("aggregator", "median")));

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    @Override
    public void apply(AlgorithmContext context, Statistics statistics) throws Exception {
        new Run(context, context.parameters().validate(PARAMETERS)).execute();
    }

    /** One execution of the algorithm: its settings, timings and report. */
    static final class Run {
        private final AlgorithmContext context;
        private final Parameters params;
        private final String baseName;
        private final double maximalDrop;
        private final boolean usePrevious;
        private final int workers;
        private final Map<String, Object> report = new LinkedHashMap<>();
        private final Map<String, Double> seconds = new LinkedHashMap<>();
        private final List<Map<String, Object>> iterations = new ArrayList<>();
        private final List<Map<String, Object>> rankings = new ArrayList<>();
        private Requantizer requantizer;
        private Criteria criteria;
        private int[] all;
        private int[] comparisonIndices;
        private EvaluationResult fp32Comparison;
        /** Null when every candidate is evaluated on the full set. */
        private SubsetAcceptance acceptance;
        private int judgedOnSubset;
        private int confirmedOnFullSet;
        /** Revert iterations so far (single reverts and group-search trials). */
        private int iteration;

        Run(AlgorithmContext context, Parameters params) {
            this.context = context;
            this.params = params;
            this.baseName = params.string("base_algorithm");
            this.maximalDrop = params.number("maximal_drop");
            this.usePrevious = params.bool("use_prev_if_drop_increase");
            this.workers = (int) params.integer("ranking_workers");
        }

        void execute() throws Exception {
            Dataset validation = requireValidationData();
            if (context.algorithm(baseName).isEmpty()) {
                throw new InvalidInputException(params.pathOf("base_algorithm"), baseName,
                        "a deployed quantization algorithm (e.g. DefaultQuantization)");
            }
            requantizer = new Requantizer(context, baseName, context.model().copy(), context.plan().copy());
            all = IntStream.range(0, validation.size()).toArray();

            long start = System.nanoTime();
            context.stage(NAME + ": FP32 baseline");
            baseline(validation.size());
            acceptance = acceptance(validation.size());
            seconds.put("baseline", elapsed(start));

            start = System.nanoTime();
            context.stage(NAME + ": " + baseName);
            QuantizedState quantized = quantize(baseParameters(null, null));
            if (params.bool("tune_hyperparams")) {
                quantized = tune(quantized);
            }
            report.put("base_metrics", quantized.values());
            String preset = params.string("preset", "performance");
            if (!criteria.satisfied(quantized.values()) && params.bool("convert_to_mixed_preset")
                    && preset.equals("performance")) {
                quantized = mixed(quantized);
            }
            seconds.put("quantization", elapsed(start));

            QuantizedState result = confirmed(revertLayers(quantized));
            context.setModel(result.model());
            context.setPlan(result.plan());
            seconds.putIfAbsent("ranking", 0.0);
            seconds.putIfAbsent("reverting", 0.0);
            report.put("final_metrics", result.values());
            report.put("final_drop", criteria.drops(result.values()));
            report.put("reverted_layers", result.reverted());
            report.put("seconds", seconds);
            publish();
        }

        Map<String, Double> seconds() {
            return seconds;
        }

        private Dataset requireValidationData() {
            Dataset validation = context.validationData().orElseThrow(() -> new InvalidInputException("engine.metrics",
                    "[]", "AccuracyAwareQuantization needs a validation dataset with metrics (engine.type "
                            + "accuracy_checker with engine.metrics); it cannot run in simplified mode. Without labels, "
                            + "use the similarity metric with annotation_free: true"));
            if (!validation.annotated() && !params.bool("annotation_free")) {
                throw new InvalidInputException(params.pathOf("annotation_free"), false,
                        "true (with an annotation-free metric such as similarity), or an annotated dataset: "
                                + "the validation dataset " + validation.identity() + " has no labels");
            }
            return validation;
        }

        /** Baselines per metric: given ones, else the FP32 model on the full validation set. */
        private void baseline(int size) {
            Map<String, Double> given = new LinkedHashMap<>();
            List<String> named = new ArrayList<>();
            List<Parameters> metricBlocks = params.objectList("metrics");
            for (int i = 0; i < metricBlocks.size(); i++) {
                Parameters block = metricBlocks.get(i).validate(List.of(
                        ParameterDescriptor.required("name", ParameterType.STRING, "metric name as the job reports it"),
                        ParameterDescriptor.optional("baseline_value", ParameterType.NUMBER, null,
                                "FP32 value of the metric (skips the FP32 evaluation)")));
                named.add(block.string("name"));
                if (block.has("baseline_value")) {
                    given.put(block.string("name"), block.number("baseline_value"));
                }
            }
            boolean allGiven = !named.isEmpty() && given.keySet().containsAll(named);
            if (allGiven) {
                // POT compares FP32 with INT8 on metric_subset_ratio of the set when baselines are given
                int count = Math.max(1, (int) Math.round(params.number("metric_subset_ratio") * size));
                comparisonIndices = sample(size, Math.min(size, count), params.integer("seed", 0));
            } else {
                comparisonIndices = all;
            }
            fp32Comparison = context.evaluate(requantizer.fp32(), null, comparisonIndices);
            List<String> available = new ArrayList<>(fp32Comparison.values().keySet());
            for (int i = 0; i < named.size(); i++) {
                if (!fp32Comparison.values().containsKey(named.get(i))) {
                    throw new InvalidInputException(params.pathOf("metrics") + "[" + i + "].name", named.get(i),
                            "one of the job's metrics: " + String.join(", ", available));
                }
            }
            List<String> metrics = named.isEmpty() ? available : named;
            Map<String, Double> baselines = new LinkedHashMap<>();
            Map<String, Boolean> higher = new LinkedHashMap<>();
            for (String metric : metrics) {
                baselines.put(metric, given.containsKey(metric) ? given.get(metric) : fp32Comparison.values().get(metric));
                higher.put(metric, fp32Comparison.higherIsBetter().getOrDefault(metric, true));
            }
            criteria = new Criteria(baselines, higher, maximalDrop, params.string("drop_type").equals("relative"),
                    params.pathOf("drop_type"));
            report.put("baseline", baselines);
            report.put("baseline_source", allGiven ? "baseline_value" : "fp32 evaluation on " + size + " samples");
            report.put("maximal_drop", maximalDrop);
            report.put("drop_type", params.string("drop_type"));
            context.metrics("accuracy_aware.baseline", baselines);
        }

        /** The acceptance subset with the FP32 model's values on it, or null (set too small, or size 0). */
        private SubsetAcceptance acceptance(int size) {
            int subset = (int) params.integer("acceptance_subset_size");
            if (subset == 0 || size <= 2L * subset) {
                report.put("acceptance_subset", subset == 0 ? "off (acceptance_subset_size 0)"
                        : "off: " + size + " validation samples are not more than twice acceptance_subset_size " + subset);
                return null;
            }
            int[] indices = sample(size, subset, params.integer("seed", 0) + 1);
            return new SubsetAcceptance(indices, context.evaluate(requantizer.fp32(), null, indices), criteria);
        }

        /** The base algorithm on the FP32 model and the starting plan, evaluated on the full set. */
        private QuantizedState quantize(Parameters baseParams) throws Exception {
            return evaluated(baseParams, List.of(), true);
        }

        /**
         * The base algorithm with {@code reverted} kept float: judged on the acceptance subset, and evaluated on the
         * full set when {@code full} or when the subset says the bound may hold.
         */
        private QuantizedState evaluated(Parameters baseParams, List<String> reverted, boolean full) throws Exception {
            Requantizer.Result result = requantizer.quantize(baseParams, reverted);
            if (acceptance == null) {
                return new QuantizedState(result.model(), result.plan(),
                        context.evaluate(result.model(), result.plan(), all), baseParams, reverted);
            }
            EvaluationResult subset = context.evaluate(result.model(), result.plan(), acceptance.indices());
            Map<String, Double> estimate = acceptance.estimate(subset);
            if (full || acceptance.mayHold(estimate, acceptance.margins(subset))) {
                confirmedOnFullSet++;
                return new QuantizedState(result.model(), result.plan(),
                        context.evaluate(result.model(), result.plan(), all), baseParams, reverted, estimate, true);
            }
            judgedOnSubset++;
            return new QuantizedState(result.model(), result.plan(), subset, baseParams, reverted, estimate, false);
        }

        /** {@code state} evaluated on the full set (the result is always reported with full-set metrics). */
        private QuantizedState confirmed(QuantizedState state) throws Exception {
            if (state.confirmed()) {
                return state;
            }
            confirmedOnFullSet++;
            return new QuantizedState(state.model(), state.plan(), context.evaluate(state.model(), state.plan(), all),
                    state.base(), state.reverted(), state.estimate(), true);
        }

        /** This algorithm's parameters that belong to the base algorithm, with optional overrides. */
        Parameters baseParameters(String preset, Map<String, Object> activationRangeEstimator) {
            Map<String, Object> values = new LinkedHashMap<>();
            Set<String> own = new LinkedHashSet<>();
            OWN.forEach(d -> own.add(d.name()));
            params.asMap().forEach((key, value) -> {
                if (!own.contains(key) && value != null) {
                    values.put(key, value);
                }
            });
            if (preset != null) {
                values.put("preset", preset);
            }
            if (activationRangeEstimator != null) {
                Map<String, Object> activations = new LinkedHashMap<>();
                if (values.get("activations") instanceof Map<?, ?> given) {
                    given.forEach((k, v) -> activations.put(String.valueOf(k), v));
                }
                activations.put("range_estimator", activationRangeEstimator);
                values.put("activations", activations);
            }
            return new Parameters(values, params.path(), params.baseDirectory());
        }

        /** tune_hyperparams: the configured estimators and a small grid; the best worst-gap wins. */
        private QuantizedState tune(QuantizedState configured) throws Exception {
            context.stage(NAME + ": tune_hyperparams");
            List<Map<String, Object>> trials = new ArrayList<>();
            trials.add(trial("configured", configured, true));
            QuantizedState best = configured;
            Map<String, Object> bestTrial = trials.get(0);
            for (Map<String, Object> estimator : RANGE_ESTIMATOR_GRID) {
                QuantizedState candidate = quantize(baseParameters(null, estimator));
                Map<String, Object> row = trial(estimator, candidate, false);
                trials.add(row);
                if (criteria.worstGap(candidate.values()) < criteria.worstGap(best.values()) - Criteria.EPSILON) {
                    bestTrial.put("chosen", false);
                    row.put("chosen", true);
                    best = candidate;
                    bestTrial = row;
                }
            }
            report.put("tune_hyperparams", trials);
            context.metrics("accuracy_aware.tuned", best.values());
            return best;
        }

        private Map<String, Object> trial(Object estimator, QuantizedState state, boolean chosen) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("activations_range_estimator", estimator);
            row.put("metrics", state.values());
            row.put("worst_gap", criteria.worstGap(state.values()));
            row.put("chosen", chosen);
            return row;
        }

        /** convert_to_mixed_preset: the base algorithm again with asymmetric activations. */
        private QuantizedState mixed(QuantizedState performance) throws Exception {
            context.stage(NAME + ": mixed preset");
            QuantizedState mixed = quantize(baseParameters("mixed", null));
            boolean better = criteria.worstGap(mixed.values()) <= criteria.worstGap(performance.values()) + Criteria.EPSILON;
            report.put("mixed_preset", Map.of("metrics", mixed.values(), "used", better));
            context.metrics("accuracy_aware.mixed_preset", mixed.values());
            return better ? mixed : performance;
        }

        /** Steps 5-7 of POT's loop. */
        private QuantizedState revertLayers(QuantizedState start) throws Exception {
            QuantizedState current = start;
            QuantizedState best = start;
            int maxIterations = params.has("max_iter_num") ? (int) params.integer("max_iter_num")
                    : start.plan().quantizedNodes().size();
            LayerRanking ranking = new LayerRanking(context, requantizer, workers);
            Set<String> undone = new LinkedHashSet<>();
            List<String> queue = new ArrayList<>();
            boolean rankedCurrent = false;
            String reason;
            int stalled = 0;
            boolean searched = false;
            report.put("initial_gap", criteria.gaps(start.values()));
            while (true) {
                context.checkCancelled();
                if (criteria.satisfied(current.values())) {
                    reason = "every metric is within maximal_drop";
                    break;
                }
                if (!criteria.satisfied(fp32Comparison.values())) {
                    // reverting layers moves the model towards FP32 at best: no revert can reach this bound
                    reason = "the FP32 model itself is not within maximal_drop of the baseline (FP32 "
                            + fp32Comparison.values() + " on " + comparisonIndices.length + " samples, drop "
                            + criteria.drops(fp32Comparison.values()) + "): no revert can reach the bound";
                    break;
                }
                if (iteration >= maxIterations) {
                    reason = "max_iter_num (" + maxIterations + ") reached before every metric was within maximal_drop";
                    break;
                }
                boolean exhausted = queue.isEmpty() && (rankedCurrent || candidates(current, undone).isEmpty());
                int layers = candidates(current, Set.of()).size();
                if (!searched && (stalled >= STALL_LIMIT || exhausted) && layers > 0
                        && maxIterations - iteration >= GroupSearch.trialsToBisect(layers)) {
                    searched = true;
                    GroupSearch.Outcome outcome = groupSearch(ranking, current, maxIterations - iteration,
                            exhausted ? "no single revert left to try" : stalled + " reverts in a row did not help");
                    if (outcome.result() != null) {
                        current = outcome.result();
                        best = current;
                    }
                    queue = new ArrayList<>();
                    rankedCurrent = false;
                    continue;
                }
                if (queue.isEmpty()) {
                    if (exhausted) {
                        reason = "no quantized layer left whose revert could help";
                        break;
                    }
                    queue = rank(ranking, current, undone, iteration);
                    rankedCurrent = true;
                    continue;
                }
                String node = queue.remove(0);
                iteration++;
                long iterationStart = System.nanoTime();
                context.stage(NAME + ": iteration " + iteration + ", reverting " + node);
                QuantizedState candidate = evaluated(current.base(), current.revertedWith(node), false);
                double before = criteria.worstGap(current.comparable(candidate));
                double after = criteria.worstGap(candidate.comparable(current));
                double noise = noise(candidate, current);
                boolean worse = after > before + Criteria.EPSILON;
                // a gain within the comparison's noise is a few samples changing sides, which the ranking's order
                // does not predict: such a revert would cost an INT8 layer for nothing the data can show
                boolean improved = criteria.satisfied(candidate.values()) || after < before - noise;
                boolean keep = improved || !usePrevious;
                stalled = improved ? 0 : stalled + 1;
                announce(node, candidate, keep ? "kept" : worse ? "undone (drop increased)"
                        : String.format(Locale.ROOT, "undone (gap %.4f -> %.4f: within the noise %.4f)", before, after,
                                noise), keep, worse);
                if (keep) {
                    current = candidate;
                    rankedCurrent = false;
                    if (after < criteria.worstGap(best.comparable(candidate)) - Criteria.EPSILON) {
                        best = candidate;
                    }
                } else {
                    undone.add(node);
                }
                seconds.merge("reverting", elapsed(iterationStart), Double::sum);
                if (!improved && (keep || !rankedCurrent)) {
                    // POT: a revert that does not help means the ranking is stale: rank again on the model kept. After
                    // an undo that model is unchanged, so when the ranking was made for it, the rest of it is the queue.
                    queue = new ArrayList<>();
                }
            }
            report.put("iterations", iteration);
            report.put("stop_reason", reason);
            if (acceptance != null) {
                report.put("acceptance_subset", Map.of("size", acceptance.indices().length, "z", SubsetAcceptance.Z,
                        "judged_on_subset_only", judgedOnSubset, "evaluated_on_full_set", confirmedOnFullSet));
            }
            report.put("satisfied", criteria.satisfied(best.values()));
            if (best != current) {
                report.put("result", "best model seen (fewer reverts or smaller gap than the last accepted one)");
            }
            context.metrics("accuracy_aware.result", withGap(best.values()));
            return best;
        }

        /**
         * {@value SubsetAcceptance#Z} standard errors of the paired per-sample difference between two states on the
         * samples both were evaluated on (the full set when both were, else the acceptance subset), in drop units:
         * the largest over the criteria's metrics. A metric without per-sample values adds none (its values are taken
         * as they are).
         */
        private double noise(QuantizedState a, QuantizedState b) {
            double noise = Criteria.EPSILON;
            for (String metric : criteria.metricNames()) {
                double standardError = PairedDifference.standardError(a.evaluation(), b.evaluation(), metric);
                if (!Double.isInfinite(standardError)) {
                    noise = Math.max(noise, criteria.inDropUnits(metric, SubsetAcceptance.Z * standardError));
                }
            }
            return noise;
        }

        /** One node per quantizer group of {@code state} (a revert takes the whole group), minus {@code excluded}. */
        private List<String> candidates(QuantizedState state, Set<String> excluded) {
            // a node with only an output point (a fused Relu carrying its layer's output quantizer) is no layer to revert
            Set<String> withInputs = new LinkedHashSet<>();
            state.plan().quantizers().keySet().stream().filter(p -> p.inputIndex() >= 0)
                    .forEach(p -> withInputs.add(p.nodeName()));
            List<String> candidates = new ArrayList<>(state.plan().quantizedNodes());
            candidates.retainAll(withInputs);
            candidates.removeAll(excluded);
            return QuantizerGroups.of(state.plan()).representatives(candidates);
        }

        private List<String> rank(LayerRanking ranking, QuantizedState state, Set<String> excluded, int afterIteration)
                throws Exception {
            long start = System.nanoTime();
            String metric = criteria.target(state.values());
            int[] subset = rankingSubset(state, metric);
            List<String> candidates = candidates(state, excluded);
            context.stage(NAME + ": ranking " + candidates.size() + " layers on " + subset.length + " samples");
            List<LayerRanking.Entry> entries = ranking.rank(state, candidates, subset, metric, criteria);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("after_iteration", afterIteration);
            row.put("metric", metric);
            row.put("subset_size", subset.length);
            row.put("layers", entries.stream().map(LayerRanking.Entry::toReport).toList());
            rankings.add(row);
            if (rankings.size() == 1) {
                report.put("layer_ranking", row.get("layers"));
            }
            Map<String, Double> gains = new LinkedHashMap<>();
            entries.forEach(e -> gains.put(e.node(), e.gain()));
            context.metrics("accuracy_aware.layer_ranking", gains);
            seconds.merge("ranking", elapsed(start), Double::sum);
            publish();
            return new ArrayList<>(entries.stream().map(LayerRanking.Entry::node).toList());
        }

        /**
         * The ranking subset: comparison samples ordered by how much FP32 and {@code state} disagree
         * on {@code metric} (largest first, FP32-better before INT8-better), then by index.
         */
        int[] rankingSubset(QuantizedState state, String metric) {
            int size = (int) Math.min(params.integer("ranking_subset_size"), comparisonIndices.length);
            double[] reference = fp32Comparison.perSample().get(metric);
            double[] quantized = state.evaluation().perSample().get(metric);
            if (reference == null || quantized == null || reference.length != comparisonIndices.length) {
                return Arrays.copyOf(comparisonIndices, size);
            }
            Map<Integer, Integer> position = new HashMap<>();
            int[] evaluated = state.evaluation().sampleIndices();
            for (int i = 0; i < evaluated.length; i++) {
                position.put(evaluated[i], i);
            }
            boolean higher = criteria.higherIsBetter(metric);
            List<int[]> order = new ArrayList<>();
            double[] drop = new double[comparisonIndices.length];
            for (int i = 0; i < comparisonIndices.length; i++) {
                Integer at = position.get(comparisonIndices[i]);
                double q = at == null ? reference[i] : quantized[at];
                drop[i] = higher ? reference[i] - q : q - reference[i];
                order.add(new int[] {i});
            }
            order.sort(Comparator.<int[]>comparingDouble(o -> -Math.abs(drop[o[0]]))
                    .thenComparingDouble(o -> -drop[o[0]]).thenComparingInt(o -> comparisonIndices[o[0]]));
            int[] subset = new int[size];
            for (int i = 0; i < size; i++) {
                subset[i] = comparisonIndices[order.get(i)[0]];
            }
            Arrays.sort(subset);
            return subset;
        }

        /**
         * Single reverts stalled: rank every quantized layer of {@code state} again and search
         * groups of them ({@link GroupSearch}); each trial is an iteration.
         */
        private GroupSearch.Outcome groupSearch(LayerRanking ranking, QuantizedState state, int budget, String trigger)
                throws Exception {
            List<String> order = rank(ranking, state, Set.of(), iteration);
            context.stage(NAME + ": group search over " + order.size() + " layers (" + trigger + ")");
            QuantizerGroups groups = QuantizerGroups.of(state.plan());
            GroupSearch.Outcome outcome = new GroupSearch(reverted -> {
                context.checkCancelled();
                iteration++;
                long start = System.nanoTime();
                QuantizedState candidate = evaluated(state.base(), groups.expand(reverted), false);
                boolean satisfied = criteria.satisfied(candidate.values());
                announce("group of " + (reverted.size() - state.reverted().size()) + " layers", candidate,
                        satisfied ? "group search: bound met" : "group search: bound missed", satisfied, false);
                seconds.merge("reverting", elapsed(start), Double::sum);
                return candidate;
            }, criteria, budget).run(state.reverted(), order);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("trigger", trigger);
            row.put("after_iteration", iteration - outcome.trials());
            row.put("trials", outcome.trials());
            row.put("outcome", outcome.summary());
            report.put("group_search", row);
            return outcome;
        }

        private void announce(String node, QuantizedState candidate, String action, boolean kept, boolean worse) {
            Map<String, Double> gaps = criteria.gaps(candidate.values());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("iteration", iteration);
            row.put("reverted_layer", node);
            row.put("action", action);
            row.put("metrics", candidate.values());
            row.put("evaluated_on", candidate.confirmed() ? "full set"
                    : "subset of " + acceptance.indices().length + " (estimate)");
            row.put("drop", criteria.drops(candidate.values()));
            row.put("remaining_gap", gaps);
            row.put("reverted_layers", candidate.reverted());
            row.put("snapshot", "accuracy_aware_iter_" + iteration);
            iterations.add(row);
            context.snapshot("accuracy_aware_iter_" + iteration, candidate.model(), candidate.plan(), candidate.values());
            Map<String, Double> event = withGap(candidate.values());
            event.put("iteration", (double) iteration);
            event.put("kept", kept ? 1.0 : 0.0);
            event.put("worse", worse ? 1.0 : 0.0);
            event.put("full_set", candidate.confirmed() ? 1.0 : 0.0);
            context.metrics("accuracy_aware.iteration " + iteration + ": reverted " + node
                    + (kept ? "" : " (undone)"), event);
            publish();
        }

        private Map<String, Double> withGap(Map<String, Double> values) {
            Map<String, Double> event = new LinkedHashMap<>(values);
            criteria.gaps(values).forEach((metric, gap) -> event.put(metric + ".remaining_gap", Math.max(0.0, gap)));
            return event;
        }

        /** Writes the report so far (the job report keeps the latest value of each key). */
        private void publish() {
            report.put("iteration_log", iterations);
            report.put("layer_rankings", rankings);
            context.report("accuracy_aware", report);
            if (report.containsKey("layer_ranking")) {
                context.report("layer_ranking", report.get("layer_ranking"));
            }
            if (report.containsKey("reverted_layers")) {
                context.report("reverted_layers", report.get("reverted_layers"));
            }
        }

        private static int[] sample(int size, int count, long seed) {
            int[] indices = IntStream.range(0, size).toArray();
            Random random = new Random(seed);
            for (int i = size - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = indices[i];
                indices[i] = indices[j];
                indices[j] = swap;
            }
            int[] chosen = Arrays.copyOf(indices, count);
            Arrays.sort(chosen);
            return chosen;
        }

        private static double elapsed(long startNanos) {
            return (System.nanoTime() - startNanos) / 1e9;
        }
    }
}
