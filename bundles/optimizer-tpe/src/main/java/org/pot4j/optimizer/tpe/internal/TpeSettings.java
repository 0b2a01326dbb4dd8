package org.pot4j.optimizer.tpe.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.optimizer.TrialSettings;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;

/** Tpe's parameters: POT's names and defaults, plus the sampler options POT fixed. */
record TpeSettings(int maxTrials, double maxMinutes, boolean stopOnTarget, int evalSubsetSize, String loadMethod,
                   double accuracyThreshold, double latencyThreshold, double accuracyWeight, double latencyWeight,
                   double expectedQuantizationRatio, double quantizationRatioWeight, String metric, Double baseline,
                   TrialSettings benchmark, long seed, boolean multivariate, boolean constantLiar, boolean avoidRepeats,
                   int startupTrials,
                   double gamma, Integer eiCandidates, Double priorWeight, int linearForgetting) {

    static final List<String> LOAD_METHODS = List.of("cold_start", "warm_start", "fine_tune", "eval");
    /** benchmark_app's keys that ONNX Runtime has no counterpart for: accepted, with a warning naming them. */
    static final Set<String> BENCHMARK_APP_ONLY = Set.of("performance_count", "nstreams", "nireq", "api_type",
            "benchmark_app_dir");
    static final double DEFAULT_BENCHMARK_SECONDS = 1.0;

    static List<ParameterDescriptor> descriptors() {
        return List.of(
                ParameterDescriptor.bounded("max_trials", ParameterType.INTEGER, null, 1.0, null,
                        "trials in all (warm_start counts the logged ones; fine_tune runs this many more)"),
                ParameterDescriptor.bounded("max_minutes", ParameterType.NUMBER, 0.0, 0.0, null,
                        "time budget, checked before each trial; 0: none"),
                ParameterDescriptor.optional("stop_on_target", ParameterType.BOOLEAN, false,
                        "stop at the first trial within accuracy_loss and with latency_reduce reached"),
                ParameterDescriptor.bounded("eval_subset_size", ParameterType.INTEGER, 0, 0.0, null,
                        "trials are evaluated on the first N validation samples; 0 or absent: all"),
                ParameterDescriptor.choice("trials_load_method", "cold_start", LOAD_METHODS,
                        "cold_start: new log; warm_start: continue the log; fine_tune: max_trials more, exploiting"
                                + " the log at once; eval: only rebuild the log's best model"),
                ParameterDescriptor.bounded("accuracy_loss", ParameterType.NUMBER, 1.0, 0.0, 100.0,
                        "allowed relative accuracy loss, percent"),
                ParameterDescriptor.bounded("latency_reduce", ParameterType.NUMBER, 1.0, 0.0, null,
                        "wanted speed-up, FP32 latency / trial latency"),
                ParameterDescriptor.bounded("accuracy_weight", ParameterType.NUMBER, 1.0, 0.0, null,
                        "weight of the accuracy term of the loss"),
                ParameterDescriptor.bounded("latency_weight", ParameterType.NUMBER, 1.0, 0.0, null,
                        "weight of the latency term of the loss"),
                ParameterDescriptor.bounded("expected_quantization_ratio", ParameterType.NUMBER, 0.5, 0.0, 1.0,
                        "POT: the quantized fraction of tunable layers the ratio term aims at"),
                ParameterDescriptor.bounded("quantization_ratio_weight", ParameterType.NUMBER, 0.0, 0.0, null,
                        "POT: weight of the quantization ratio term"),
                ParameterDescriptor.optional("metrics", ParameterType.LIST, null,
                        "[{name, baseline_value}]: the first is optimised; baseline_value replaces the FP32 value"),
                ParameterDescriptor.optional("benchmark", ParameterType.OBJECT, null,
                        "batch_size, nthreads, niter, duration_seconds (ONNX Runtime); benchmark_app-only keys warned"),
                ParameterDescriptor.bounded("seed", ParameterType.INTEGER, 0, 0.0, null, "sampler seed"),
                ParameterDescriptor.optional("multivariate", ParameterType.BOOLEAN, false,
                        "joint model of all parameters (Optuna's multivariate TPE) instead of one per parameter"),
                ParameterDescriptor.optional("constant_liar", ParameterType.BOOLEAN, true,
                        "running trials count as the worst, so parallel trials do not repeat each other"),
                ParameterDescriptor.optional("avoid_repeats", ParameterType.BOOLEAN, true,
                        "draw again (up to 16 times), then a random unmeasured configuration, when TPE proposes one"
                                + " already measured; false: POT's behaviour, the repeat counts as a trial"),
                ParameterDescriptor.bounded("n_startup_trials", ParameterType.INTEGER, 10, 0.0, null,
                        "random trials before TPE (POT: 10)"),
                ParameterDescriptor.bounded("gamma", ParameterType.NUMBER, 0.3, 0.0, 1.0,
                        "good fraction: ceil(gamma * sqrt(n)) best trials (POT: 0.3)"),
                ParameterDescriptor.bounded("n_ei_candidates", ParameterType.INTEGER, null, 1.0, null,
                        "candidates per proposal; absent: POT's smallest choice count"),
                ParameterDescriptor.bounded("prior_weight", ParameterType.NUMBER, null, 0.0, null,
                        "pseudo-count per choice; absent: POT's 1 / smallest choice count"),
                ParameterDescriptor.bounded("linear_forgetting", ParameterType.INTEGER, 25, 1.0, null,
                        "hyperopt: the newest N trials weigh fully, older ones less"));
    }

    static TpeSettings read(Parameters p, Consumer<String> warning) {
        String metric = null;
        Double baseline = null;
        if (p.has("metrics")) {
            List<Parameters> metrics = p.objectList("metrics");
            if (metrics.isEmpty()) {
                throw new InvalidInputException(p.pathOf("metrics"), "[]", "at least one {name, baseline_value}, or"
                        + " no metrics key (the job's first metric is optimised)");
            }
            Parameters first = metrics.get(0).validate(List.of(
                    ParameterDescriptor.required("name", ParameterType.STRING, "a metric of the job"),
                    ParameterDescriptor.optional("baseline_value", ParameterType.NUMBER, null, "the FP32 value")));
            metric = first.string("name");
            baseline = first.has("baseline_value") ? first.number("baseline_value") : null;
            if (metrics.size() > 1) {
                warning.accept(p.pathOf("metrics") + ": only the first metric (" + metric + ") is optimised, as in POT");
            }
        }
        TrialSettings benchmark = benchmark(p, warning);
        return new TpeSettings((int) p.integer("max_trials"), p.number("max_minutes"), p.bool("stop_on_target"),
                (int) p.integer("eval_subset_size"), p.string("trials_load_method"), p.number("accuracy_loss") / 100,
                p.number("latency_reduce"), p.number("accuracy_weight"), p.number("latency_weight"),
                p.number("expected_quantization_ratio"), p.number("quantization_ratio_weight"), metric, baseline,
                benchmark, p.integer("seed"), p.bool("multivariate"), p.bool("constant_liar"), p.bool("avoid_repeats"),
                (int) p.integer("n_startup_trials"), p.number("gamma"),
                p.has("n_ei_candidates") ? (int) p.integer("n_ei_candidates") : null,
                p.has("prior_weight") ? p.number("prior_weight") : null, (int) p.integer("linear_forgetting"));
    }

    private static TrialSettings benchmark(Parameters p, Consumer<String> warning) {
        int evalSubset = (int) p.integer("eval_subset_size");
        if (!p.has("benchmark")) {
            return new TrialSettings(evalSubset, 1, 0, DEFAULT_BENCHMARK_SECONDS, 1_000_000);
        }
        Parameters raw = p.object("benchmark");
        List<String> ignored = new ArrayList<>();
        for (String key : raw.keys()) {
            if (BENCHMARK_APP_ONLY.contains(key)) {
                ignored.add(key);
            }
        }
        if (!ignored.isEmpty()) {
            warning.accept(raw.path() + ": " + String.join(", ", ignored.stream().sorted().toList())
                    + " have no meaning with ONNX Runtime and are ignored (latency is measured in-process)");
        }
        java.util.Map<String, Object> kept = new java.util.LinkedHashMap<>(raw.asMap());
        ignored.forEach(kept::remove);
        Parameters b = new Parameters(kept, raw.path(), raw.baseDirectory()).validate(List.of(
                ParameterDescriptor.bounded("batch_size", ParameterType.INTEGER, 1, 1.0, 4096.0, "samples per run"),
                ParameterDescriptor.bounded("nthreads", ParameterType.INTEGER, 0, 0.0, 1024.0,
                        "ONNX Runtime intra-op threads; 0: its default"),
                ParameterDescriptor.bounded("niter", ParameterType.INTEGER, 1, 1.0, null,
                        "runs; the benchmark stops at duration_seconds when that comes first (1: duration only)"),
                ParameterDescriptor.bounded("duration_seconds", ParameterType.NUMBER, DEFAULT_BENCHMARK_SECONDS, 0.0,
                        3600.0, "seconds per model measured; 0: no latency measurement")));
        long niter = b.integer("niter");
        return new TrialSettings(evalSubset, (int) b.integer("batch_size"), (int) b.integer("nthreads"),
                b.number("duration_seconds"), niter <= 1 ? 1_000_000 : (int) Math.min(niter, Integer.MAX_VALUE));
    }
}
