package org.pot4j.algorithm.accuracyaware.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.metric.accuracy.internal.AccuracyMetric;
import org.pot4j.metric.similarity.internal.SimilarityMetric;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/**
 * AccuracyAwareQuantization on the real cnn_relu_outlier / cnn_relu models (DefaultQuantization
 * from the real MinMax and FastBiasCorrection, ONNX Runtime, the accuracy and similarity metric
 * plugins) with the first 1000 t10k images as validation set. On this slice the outlier model
 * loses about 19 points fully quantized (0.935 → 0.746); reverting /features/features.3/Conv
 * gives back most of it and /classifier/classifier.1/Gemm the rest. Exact accuracies move with
 * the MinMax and QDQ writer details, so the tests derive thresholds from the run where needed.
 */
@SuppressWarnings("unchecked")
class AccuracyAwareQuantizationTest {
    static final String CONV3 = "/features/features.3/Conv";
    static final String CONV0 = "/features/features.0/Conv";
    static final String CONV7 = "/features/features.7/Conv";
    static final String CONV10 = "/features/features.10/Conv";
    static final String GEMM1 = "/classifier/classifier.1/Gemm";
    static final String GEMM4 = "/classifier/classifier.4/Gemm";

    private static IdxDataset calibration;
    private static IdxDataset validation;

    @BeforeAll
    static void data() throws Exception {
        calibration = IdxDataset.calibration();
        validation = IdxDataset.test(Integer.getInteger("pot4j.test.samples", 1000));
    }

    static EvaluatingContext context(String model) {
        return new EvaluatingContext(model, calibration, validation, List.of(accuracy()));
    }

    static EvaluatingContext.MetricSpec accuracy() {
        return new EvaluatingContext.MetricSpec(new AccuracyMetric(), Parameters.empty("engine.metrics[0]"));
    }

    static EvaluatingContext.MetricSpec cosine() {
        return new EvaluatingContext.MetricSpec(new SimilarityMetric(),
                new Parameters(Map.of("type", "cosine"), "engine.metrics[1]", null));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> iterations(EvaluatingContext context) {
        return (List<Map<String, Object>>) context.accuracyAwareReport().get("iteration_log");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> rankings(EvaluatingContext context) {
        return (List<Map<String, Object>>) context.accuracyAwareReport().get("layer_rankings");
    }

    static List<String> reverted(EvaluatingContext context) {
        return names(context.reports().get("reverted_layers"));
    }

    static List<String> names(Object list) {
        return new ArrayList<>(((List<?>) list).stream().map(String::valueOf).toList());
    }

    static List<String> revertedPerIteration(EvaluatingContext context) {
        return iterations(context).stream().map(i -> (String) i.get("reverted_layer")).toList();
    }

    @Test
    void revertsTheMostHarmfulLayersUntilTheBoundHolds() throws Exception {
        EvaluatingContext context = context("cnn_relu_outlier");
        context.runAccuracyAware(Map.of("maximal_drop", 0.005, "preset", "performance"));

        double fp32 = context.accuracy(context.original(), null);
        double result = context.accuracy(context.model(), context.plan());
        System.out.printf("cnn_relu_outlier, %d images: FP32 %.4f, AccuracyAware %.4f, reverted %s%n",
                validation.size(), fp32, result, reverted(context));
        assertTrue(fp32 - result <= 0.005, "independently measured drop " + (fp32 - result));
        assertEquals(List.of(CONV3, GEMM1), reverted(context));
        assertEquals(List.of(CONV3, GEMM1), revertedPerIteration(context));
        for (String layer : reverted(context)) {
            assertFalse(context.plan().quantizedNodes().contains(layer), layer);
            assertTrue(context.plan().ignoredNodes().get(layer).contains("AccuracyAware"), layer);
        }
        // the layers feeding them (through Relu and MaxPool) go float too: a reverted layer reads float values, and
        // their QLinearConv would need its output quantized; the other two stay INT8
        assertTrue(context.plan().ignoredNodes().get(CONV0).contains("read by the ignored Conv " + CONV3),
                context.plan().ignoredNodes().toString());
        assertTrue(context.plan().ignoredNodes().get(CONV10).contains("read by the ignored Gemm " + GEMM1),
                context.plan().ignoredNodes().toString());
        assertTrue(context.plan().quantizedNodes().containsAll(List.of(CONV7, GEMM4)), context.plan().quantizedNodes()
                .toString());

        // the ranking is reported: every quantized layer once, the worst first
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> ranking = (List<Map<String, Object>>) context.reports().get("layer_ranking");
        assertEquals(6, ranking.size());
        assertEquals(CONV3, ranking.get(0).get("node"));
        assertTrue((double) ranking.get(0).get("gain") > 0);
        assertTrue(context.events().stream().anyMatch(e -> e.label().equals("accuracy_aware.layer_ranking")
                && e.values().size() == 6));
        // one event per iteration with the new metrics and the remaining gap
        List<EvaluatingContext.MetricEvent> perIteration = context.events().stream()
                .filter(e -> e.label().startsWith("accuracy_aware.iteration")).toList();
        assertEquals(2, perIteration.size());
        assertTrue(perIteration.get(0).label().contains(CONV3));
        assertTrue(perIteration.get(0).values().get("accuracy.remaining_gap") > 0);
        assertEquals(0.0, perIteration.get(1).values().get("accuracy.remaining_gap"));
        assertEquals("every metric is within maximal_drop", context.accuracyAwareReport().get("stop_reason"));
    }

    @Test
    void everySnapshotIsALoadableModelWithTheAnnouncedAccuracy() throws Exception {
        EvaluatingContext context = context("cnn_relu_outlier");
        context.runAccuracyAware(Map.of("maximal_drop", 0.0, "max_iter_num", 6, "ranking_subset_size", 1));
        List<EvaluatingContext.Snapshot> snapshots = context.snapshots();
        assertEquals(iterations(context).size(), snapshots.size(), "one snapshot per iteration");
        assertTrue(snapshots.size() >= 2, "iterations: " + snapshots.size());
        for (int i = 0; i < snapshots.size(); i++) {
            EvaluatingContext.Snapshot snapshot = snapshots.get(i);
            Graph loaded = OnnxCodec.read(snapshot.onnx());
            double measured = context.accuracy(loaded, null);
            assertEquals(snapshot.metrics().get("accuracy"), measured, 1e-12, snapshot.label());
            @SuppressWarnings("unchecked")
            Map<String, Double> announced = (Map<String, Double>) iterations(context).get(i).get("metrics");
            assertEquals(announced.get("accuracy"), measured, 1e-12, "iteration " + (i + 1));
        }
    }

    @Test
    void boundTheBaseAlgorithmMeetsStopsAtZeroReverts() throws Exception {
        EvaluatingContext context = context("cnn_relu");
        context.runAccuracyAware(Map.of("maximal_drop", 0.005));
        assertEquals(List.of(), reverted(context));
        assertEquals(0, context.accuracyAwareReport().get("iterations"));
        assertTrue(context.snapshots().isEmpty());
        assertTrue(rankings(context).isEmpty(), "no ranking when nothing has to be reverted");
        assertEquals(6, context.plan().quantizedNodes().size());
    }

    @Test
    void absoluteAndRelativeDropTypes() throws Exception {
        // the drop d1 after the first revert (CONV3) decides the bound: B between d1 and d1 / baseline holds
        // for the absolute drop after one revert and does not for the relative one
        EvaluatingContext probe = context("cnn_relu_outlier");
        probe.runAccuracyAware(Map.of("maximal_drop", 0.0, "max_iter_num", 1));
        double baseline = probe.accuracy(probe.original(), null);
        @SuppressWarnings("unchecked")
        double d1 = ((Map<String, Double>) iterations(probe).get(0).get("drop")).get("accuracy");
        assertTrue(d1 > 0.01, "the first revert leaves a drop: " + d1);
        double bound = (d1 + d1 / baseline) / 2;

        EvaluatingContext absolute = context("cnn_relu_outlier");
        absolute.runAccuracyAware(Map.of("maximal_drop", bound, "drop_type", "absolute"));
        assertEquals(List.of(CONV3), reverted(absolute));
        assertEquals(true, absolute.accuracyAwareReport().get("satisfied"));

        EvaluatingContext relative = context("cnn_relu_outlier");
        relative.runAccuracyAware(Map.of("maximal_drop", bound, "drop_type", "relative"));
        assertEquals(List.of(CONV3, GEMM1), reverted(relative));
        @SuppressWarnings("unchecked")
        Map<String, Double> firstDrop = (Map<String, Double>) iterations(relative).get(0).get("drop");
        assertEquals(d1 / baseline, firstDrop.get("accuracy"), 1e-12, "relative drop = absolute drop / baseline");
        @SuppressWarnings("unchecked")
        Map<String, Double> finalDrop = (Map<String, Double>) relative.accuracyAwareReport().get("final_drop");
        assertTrue(finalDrop.get("accuracy") <= bound);
    }

    @Test
    void maxIterNumBoundsTheReverts() throws Exception {
        EvaluatingContext context = context("cnn_relu_outlier");
        context.runAccuracyAware(Map.of("maximal_drop", 0.0, "max_iter_num", 1));
        assertEquals(1, context.accuracyAwareReport().get("iterations"));
        assertEquals(List.of(CONV3), reverted(context));
        assertEquals(1, context.snapshots().size());
        assertTrue(((String) context.accuracyAwareReport().get("stop_reason")).startsWith("max_iter_num (1)"));
        assertEquals(false, context.accuracyAwareReport().get("satisfied"));
    }

    /** Accuracy drop of the state each iteration started from: the base model's, then the last kept one's. */
    static List<Double> dropsBefore(EvaluatingContext context) {
        Map<String, Double> baselines = cast(context.accuracyAwareReport().get("baseline"));
        String metric = baselines.keySet().iterator().next();
        double current = baselines.get(metric)
                - ((Map<String, Double>) cast(context.accuracyAwareReport().get("base_metrics"))).get(metric);
        List<Double> before = new ArrayList<>();
        for (Map<String, Object> iteration : iterations(context)) {
            before.add(current);
            if (iteration.get("action").equals("kept")) {
                current = drop(iteration);
            }
        }
        return before;
    }

    @SuppressWarnings("unchecked")
    static <T> T cast(Object value) {
        return (T) value;
    }

    /** The drop of the job's first metric (accuracy, or the only one). */
    static double drop(Map<String, Object> iteration) {
        return ((Map<String, Double>) cast(iteration.get("drop"))).values().iterator().next();
    }

    /**
     * cnn_relu_outlier judged by cosine similarity to the FP32 outputs on the labelled validation slice, on the CPU
     * config without runtime placement: there CONV0's and CONV10's reverts alone make the drop worse, which the tests
     * of undoing, re-ranking and the group search need (with placement, reverting CONV3 and GEMM1 takes them float).
     */
    /**
     * The undo tests' scenario (CONV0 ranked second on one sample, its revert harmful) holds with 7-bit weights on the
     * first layer only: set explicitly, so that it does not depend on this CPU's VNNI (saturation_fix auto).
     */
    static final String SCENARIO_SATURATION_FIX = "first_layer";

    static EvaluatingContext cosineContext() {
        return new EvaluatingContext("cnn_relu_outlier", calibration, validation, List.of(cosine()), false);
    }

    /**
     * Ranked by cosine similarity on a one-sample subset, CONV0 comes second after CONV3 although
     * reverting it makes the drop on the full set worse.
     */
    @Test
    void usePrevIfDropIncreaseUndoesHarmfulReverts() throws Exception {
        EvaluatingContext context = cosineContext();
        context.runAccuracyAware(Map.of("maximal_drop", 0.001, "max_iter_num", 6, "ranking_subset_size", 1,
                "saturation_fix", SCENARIO_SATURATION_FIX));
        List<Map<String, Object>> iterations = iterations(context);
        List<Double> before = dropsBefore(context);
        assertEquals(CONV3, iterations.get(0).get("reverted_layer"));
        assertTrue(iterations.stream().anyMatch(i -> i.get("reverted_layer").equals(CONV0)
                && i.get("action").equals("undone (drop increased)")), iterations.toString());
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < iterations.size(); i++) {
            Map<String, Object> iteration = iterations.get(i);
            String layer = (String) iteration.get("reverted_layer");
            boolean worse = drop(iteration) > before.get(i) + 1e-9;
            String action = (String) iteration.get("action");
            if (worse) {
                assertEquals("undone (drop increased)", action, "iteration " + (i + 1));
            } else if (!action.equals("kept")) {
                assertTrue(action.contains("within the noise"), action);
            }
            if (!action.equals("kept")) {
                assertTrue(context.plan().quantizedNodes().contains(layer), layer + " was undone: still INT8");
            } else {
                kept.add(layer);
            }
        }
        assertEquals(kept, reverted(context), "exactly the kept reverts are in the result");
        assertTrue(kept.contains(GEMM1));
        // a re-ranking follows only an undone revert (a kept one helped; an undone one re-ranks when the ranking was
        // made for an earlier model)
        for (Map<String, Object> ranking : rankings(context).subList(1, rankings(context).size())) {
            int after = (Integer) ranking.get("after_iteration");
            assertFalse(iterations.get(after - 1).get("action").equals("kept"), "ranking after iteration " + after);
        }
        assertEquals(true, context.accuracyAwareReport().get("satisfied"));
    }

    @Test
    void withoutUsePrevAWorseRevertIsKeptAndTheLayersAreReRanked() throws Exception {
        EvaluatingContext context = cosineContext();
        context.runAccuracyAware(Map.of("maximal_drop", 0.0, "max_iter_num", 6, "ranking_subset_size", 1,
                "use_prev_if_drop_increase", false, "saturation_fix", SCENARIO_SATURATION_FIX));
        List<Map<String, Object>> iterations = iterations(context);
        List<Double> before = dropsBefore(context);
        assertEquals(CONV3, revertedPerIteration(context).get(0));
        int conv0 = revertedPerIteration(context).indexOf(CONV0);
        assertTrue(conv0 > 0 && drop(iterations.get(conv0)) > before.get(conv0), "reverting CONV0 made the drop worse");
        assertTrue(iterations.stream().allMatch(i -> i.get("action").equals("kept")));
        assertEquals(revertedPerIteration(context), reverted(context));
        // after every revert that did not help, the remaining layers were ranked again and the next revert is the new top
        List<Map<String, Object>> rankings = rankings(context);
        assertEquals(0, rankings.get(0).get("after_iteration"));
        int expectedRankings = 1;
        for (int i = 0; i < iterations.size() - 1; i++) {
            if (drop(iterations.get(i)) >= before.get(i) - 1e-9) {
                int after = i + 1;
                Map<String, Object> ranking = rankings.stream().filter(r -> r.get("after_iteration").equals(after))
                        .findFirst().orElseThrow(() -> new AssertionError("no re-ranking after iteration " + after));
                List<Map<String, Object>> layers = cast(ranking.get("layers"));
                assertEquals(6 - after, layers.size(), "reverted layers are no longer candidates");
                assertEquals(layers.get(0).get("node"), iterations.get(i + 1).get("reverted_layer"));
                expectedRankings++;
            }
        }
        assertTrue(expectedRankings >= 2);
        assertEquals(expectedRankings, rankings.size());
    }

    @Test
    void aBoundFp32CannotMeetEndsAtOnceWithTheReason() throws Exception {
        // a baseline above what even FP32 reaches: no revert can meet it, so none is tried
        EvaluatingContext context = context("cnn_relu_outlier");
        context.runAccuracyAware(Map.of("maximal_drop", 0.0, "max_iter_num", 3,
                "metrics", List.of(Map.of("name", "accuracy", "baseline_value", 0.99))));
        Map<String, Object> report = context.accuracyAwareReport();
        assertEquals(0, report.get("iterations"));
        assertTrue(context.snapshots().isEmpty());
        assertEquals(false, report.get("satisfied"));
        assertTrue(((String) report.get("stop_reason")).contains("FP32 model itself is not within maximal_drop"),
                report.get("stop_reason").toString());
        assertEquals(6, context.plan().quantizedNodes().size(), "the base model is the result");
        // baselines given: FP32 was compared on metric_subset_ratio of the set, not evaluated on all of it
        assertEquals(validation.size() / 2, context.evaluatedSubsets().get(0).length);
        assertEquals("baseline_value", report.get("baseline_source"));
    }

    @Test
    void unreachableBoundEndsWithTheBestModelAndAReason() throws Exception {
        // cosine 1.0 needs every layer float: three iterations do not get there, the best model seen is the result
        EvaluatingContext context = cosineContext();
        context.runAccuracyAware(Map.of("maximal_drop", 0.0, "max_iter_num", 3));
        Map<String, Object> report = context.accuracyAwareReport();
        assertEquals(3, report.get("iterations"));
        assertEquals(3, context.snapshots().size());
        assertEquals(false, report.get("satisfied"));
        assertTrue(((String) report.get("stop_reason")).contains("max_iter_num (3)"), report.get("stop_reason").toString());
        // the result is the best model seen: the iteration with the smallest drop (the earliest among equals)
        Map<String, Object> best = iterations(context).get(0);
        for (Map<String, Object> iteration : iterations(context)) {
            if (drop(iteration) < drop(best) - 1e-9) {
                best = iteration;
            }
        }
        assertEquals(names(best.get("reverted_layers")), reverted(context));
        assertTrue(reverted(context).containsAll(List.of(CONV3, GEMM1)));
    }

    @Test
    void whenNoSingleRevertIsLeftTheGroupSearchReachesTheBound() throws Exception {
        // cosine 1.0 needs every layer float; the reverts of CONV0 and CONV10 alone are undone as drop increases,
        // so the single reverts run out before the bound, and the group search finds it
        EvaluatingContext context = cosineContext();
        context.runAccuracyAware(Map.of("maximal_drop", 0.0, "max_iter_num", 30));
        Map<String, Object> report = context.accuracyAwareReport();
        Map<String, Object> search = cast(report.get("group_search"));
        assertTrue(search != null, report.toString());
        assertEquals(true, report.get("satisfied"), report.get("stop_reason").toString());
        assertEquals(0.0, ((Map<String, Double>) cast(report.get("final_drop"))).get("similarity_cosine"), 1e-12);
        assertTrue(iterations(context).stream().anyMatch(i -> String.valueOf(i.get("action")).startsWith("group search")));
        assertEquals(iterations(context).size(), context.snapshots().size(), "group trials are iterations too");
    }

    @Test
    void severalMetricsWorkOnTheOneFurthestFromItsBound() throws Exception {
        EvaluatingContext context = new EvaluatingContext("cnn_relu_outlier", calibration, validation,
                List.of(accuracy(), cosine()));
        context.runAccuracyAware(Map.of("maximal_drop", 0.01));
        Map<String, Object> report = context.accuracyAwareReport();
        @SuppressWarnings("unchecked")
        Map<String, Double> base = (Map<String, Double>) report.get("base_metrics");
        @SuppressWarnings("unchecked")
        Map<String, Double> baseline = (Map<String, Double>) report.get("baseline");
        assertEquals(List.of("accuracy", "similarity_cosine"), List.copyOf(baseline.keySet()));
        String furthest = baseline.get("accuracy") - base.get("accuracy") > 1.0 - base.get("similarity_cosine")
                ? "accuracy" : "similarity_cosine";
        assertEquals(furthest, rankings(context).get(0).get("metric"));
        @SuppressWarnings("unchecked")
        Map<String, Double> drop = (Map<String, Double>) report.get("final_drop");
        assertTrue(drop.get("accuracy") <= 0.01 && drop.get("similarity_cosine") <= 0.01, drop.toString());
    }

    @Test
    void rankingIsTheSameOnOneOrSeveralWorkers() throws Exception {
        List<Object> rankings = new ArrayList<>();
        for (int workers : new int[] {1, 3}) {
            EvaluatingContext context = context("cnn_relu_outlier");
            context.runAccuracyAware(Map.of("maximal_drop", 0.005, "ranking_workers", workers));
            rankings.add(context.reports().get("layer_ranking"));
            assertTrue(context.maxConcurrentEvaluations() <= workers);
        }
        assertEquals(rankings.get(0), rankings.get(1));
    }

    @Test
    void tuneHyperparamsTriesTheGridAndKeepsTheBest() throws Exception {
        EvaluatingContext context = context("cnn_relu_outlier");
        context.runAccuracyAware(Map.of("maximal_drop", 0.005, "tune_hyperparams", true));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> trials = (List<Map<String, Object>>) context.accuracyAwareReport().get("tune_hyperparams");
        assertEquals(1 + AccuracyAwareQuantization.RANGE_ESTIMATOR_GRID.size(), trials.size());
        assertEquals(1, trials.stream().filter(t -> (Boolean) t.get("chosen")).count());
        double best = trials.stream().mapToDouble(t -> (Double) t.get("worst_gap")).min().orElseThrow();
        Map<String, Object> chosen = trials.stream().filter(t -> (Boolean) t.get("chosen")).findFirst().orElseThrow();
        assertEquals(best, (Double) chosen.get("worst_gap"), 1e-12);
        assertEquals(chosen.get("metrics"), context.accuracyAwareReport().get("base_metrics"));
        double drop = context.accuracy(context.original(), null) - context.accuracy(context.model(), context.plan());
        assertTrue(drop <= 0.005, "drop " + drop);
    }

    @Test
    void convertToMixedPresetRetriesBeforeReverting() throws Exception {
        EvaluatingContext context = context("cnn_relu_outlier");
        context.runAccuracyAware(Map.of("maximal_drop", 0.005, "convert_to_mixed_preset", true));
        @SuppressWarnings("unchecked")
        Map<String, Object> mixed = (Map<String, Object>) context.accuracyAwareReport().get("mixed_preset");
        assertTrue(mixed != null && mixed.containsKey("used"), context.accuracyAwareReport().toString());
        if ((Boolean) mixed.get("used")) {
            QuantizationPoint activation = context.plan().points(QuantizationPoint.Kind.ACTIVATION).get(0);
            assertFalse(context.plan().quantizers().get(activation).symmetric(), "mixed: asymmetric activations");
        }
        double drop = context.accuracy(context.original(), null) - context.accuracy(context.model(), context.plan());
        assertTrue(drop <= 0.005, "drop " + drop);
    }

    @Test
    void baseAlgorithmParametersPassThrough() throws Exception {
        EvaluatingContext context = context("cnn_relu");
        context.runAccuracyAware(Map.of("maximal_drop", 0.05, "preset", "mixed", "threshold", 1e-9));
        QuantizationPoint activation = context.plan().points(QuantizationPoint.Kind.ACTIVATION).get(0);
        assertFalse(context.plan().quantizers().get(activation).symmetric(), "preset mixed reached MinMax");
        Map<String, Object> fastBias = cast(context.reports().get("fast_bias_correction"));
        assertEquals(1e-9, fastBias.get("threshold"), "threshold reached FastBiasCorrection");

        InvalidInputException wrong = assertThrows(InvalidInputException.class,
                () -> context("cnn_relu").runAccuracyAware(Map.of("threshold", -1.0)));
        assertTrue(wrong.getMessage().contains("threshold"), wrong.getMessage());
        InvalidInputException unknown = assertThrows(InvalidInputException.class,
                () -> context("cnn_relu").runAccuracyAware(Map.of("maximal_dorp", 0.01)));
        assertTrue(unknown.getMessage().contains("maximal_drop"), unknown.getMessage());
        InvalidInputException base = assertThrows(InvalidInputException.class,
                () -> context("cnn_relu").runAccuracyAware(Map.of("base_algorithm", "NoSuchQuantization")));
        assertTrue(base.getMessage().contains("base_algorithm"), base.getMessage());
        InvalidInputException iterations = assertThrows(InvalidInputException.class,
                () -> context("cnn_relu").runAccuracyAware(Map.of("max_iter_num", 4294967296L)));
        assertTrue(iterations.getMessage().contains("max_iter_num") && iterations.getMessage().contains("4294967296")
                && iterations.getMessage().contains("2147483647"), iterations.getMessage());
    }

    @Test
    void simplifiedModeAndUnlabelledDataAreClearErrors() throws Exception {
        EvaluatingContext simplified = new EvaluatingContext("cnn_relu", calibration, validation, List.of());
        InvalidInputException noMetrics = assertThrows(InvalidInputException.class,
                () -> simplified.runAccuracyAware(Map.of()));
        assertTrue(noMetrics.getMessage().contains("engine.metrics") && noMetrics.getMessage().contains("simplified"),
                noMetrics.getMessage());

        IdxDataset unlabelled = new IdxDataset(TestFiles.testImages(), null, 500);
        EvaluatingContext noLabels = new EvaluatingContext("cnn_relu", calibration, unlabelled, List.of(cosine()));
        InvalidInputException annotation = assertThrows(InvalidInputException.class,
                () -> noLabels.runAccuracyAware(Map.of()));
        assertTrue(annotation.getMessage().contains("annotation_free"), annotation.getMessage());
    }

    @Test
    void annotationFreeWorksWithTheSimilarityMetric() throws Exception {
        IdxDataset unlabelled = new IdxDataset(TestFiles.testImages(), null, 500);
        EvaluatingContext context = new EvaluatingContext("cnn_relu_outlier", calibration, unlabelled, List.of(cosine()));
        context.runAccuracyAware(Map.of("annotation_free", true, "maximal_drop", 0.001));
        Map<String, Object> report = context.accuracyAwareReport();
        @SuppressWarnings("unchecked")
        Map<String, Double> baseline = (Map<String, Double>) report.get("baseline");
        assertEquals(1.0, baseline.get("similarity_cosine"), 1e-6);
        @SuppressWarnings("unchecked")
        Map<String, Double> drop = (Map<String, Double>) report.get("final_drop");
        assertTrue(drop.get("similarity_cosine") <= 0.001, drop.toString());
        assertFalse(reverted(context).isEmpty());
    }
}
