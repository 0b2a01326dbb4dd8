package org.pot4j.orchestrator.internal.job;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.optimizer.OptimizationContext;
import org.pot4j.api.optimizer.SearchParameter;
import org.pot4j.api.optimizer.SearchSpace;
import org.pot4j.api.optimizer.TrialMeasurement;
import org.pot4j.api.optimizer.TrialSettings;
import org.pot4j.api.optimizer.TunableAlgorithm;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;

/**
 * A job with an optimizer section: the algorithms before the tunable one run once, the tunable one
 * collects its statistics once and prepares its search space, then the optimizer runs trials. A
 * trial resets the model and plan to that point, applies the trial's choices, reruns the
 * algorithms after the tunable one, and is measured (accuracy on the eval subset, latency as a
 * ratio to FP32). At the end the workspace holds the model of the optimizer's choices.
 */
final class Tuning implements OptimizationContext {
    private static final String SERVER = serverName();
    private final Workspace workspace;
    private final Pipeline.OptimizerStep step;
    private final TrialLogFile log;
    private final Map<Integer, Map<String, Double>> fp32BySubset = new HashMap<>();
    private SearchSpace space;
    private Parameters tunableParameters;
    private Graph baseModel;
    private QuantizationPlan basePlan;
    private LatencyProbe probe;

    Tuning(Workspace workspace, Pipeline.OptimizerStep step, Path outputRoot) {
        this.workspace = workspace;
        this.step = step;
        this.log = new TrialLogFile(outputRoot == null ? null : outputRoot.resolve(TrialLogFile.NAME));
    }

    /** Runs everything and leaves the chosen model in the workspace; returns the choices. */
    Map<String, String> run() throws Exception {
        List<Pipeline.AlgorithmStep> algorithms = workspace.pipeline.algorithms();
        for (int i = 0; i < step.tunableIndex(); i++) {
            Pipeline.AlgorithmStep before = algorithms.get(i);
            JobContext.runAlgorithm(workspace, before.name(), before.algorithm(), before.parameters());
        }
        Pipeline.AlgorithmStep tunable = algorithms.get(step.tunableIndex());
        tunableParameters = tunable.parameters();
        baseModel = workspace.model;
        basePlan = workspace.plan.copy();
        JobContext context = jobContext();
        var statistics = context.declaredStatistics(tunable.name(), tunable.algorithm());
        context.stage(tunable.name() + ": search space");
        space = ((TunableAlgorithm) tunable.algorithm()).prepare(context, statistics);
        // MinMax reported the plan of each estimator it planned for the space; the report's points are the final plan's
        workspace.report.remove("quantization_points");
        workspace.report.remove("min_max_quantization");
        workspace.report.put("search_space", space.parameters().stream().map(p -> Map.of("name", p.name(),
                "choices", p.choices(), "reference", p.reference())).toList());
        workspace.events.stage("optimizer " + step.name());
        Map<String, String> chosen = step.optimizer().optimize(this);
        checkChoices(chosen);
        workspace.events.stage("build the chosen model");
        apply(chosen);
        return chosen;
    }

    private void apply(Map<String, String> choices) throws Exception {
        workspace.model = workspace.pipeline.algorithms().size() > step.tunableIndex() + 1 ? baseModel.copy() : baseModel;
        workspace.plan = basePlan.copy();
        space.apply(jobContext(), choices);
        List<Pipeline.AlgorithmStep> algorithms = workspace.pipeline.algorithms();
        for (int i = step.tunableIndex() + 1; i < algorithms.size(); i++) {
            Pipeline.AlgorithmStep after = algorithms.get(i);
            JobContext.runAlgorithm(workspace, after.name(), after.algorithm(), after.parameters());
        }
    }

    private void checkChoices(Map<String, String> choices) {
        Map<String, SearchParameter> byName = new HashMap<>();
        space.parameters().forEach(p -> byName.put(p.name(), p));
        choices.forEach((name, choice) -> {
            SearchParameter parameter = byName.get(name);
            if (parameter == null) {
                throw new Pot4jException("INTERNAL", "optimizer " + step.name() + " chose a value for '" + name
                        + "', which is not a parameter of the search space");
            }
            if (!parameter.choices().contains(choice)) {
                throw new Pot4jException("INTERNAL", "optimizer " + step.name() + " chose '" + choice + "' for '"
                        + name + "'; allowed: " + parameter.choices());
            }
        });
    }

    @Override
    public String jobId() {
        return workspace.jobId;
    }

    @Override
    public Parameters parameters() {
        return step.parameters();
    }

    @Override
    public List<SearchParameter> searchSpace() {
        return space.parameters();
    }

    @Override
    public TrialMeasurement measure(Map<String, String> choices, TrialSettings settings) throws Exception {
        checkChoices(choices);
        long start = System.nanoTime();
        String stage = workspace.events.stage();
        apply(choices);
        int size = workspace.validation.size();
        if (settings.evalSubsetSize() > size) {
            throw new InvalidInputException(step.parameters().pathOf("eval_subset_size"), settings.evalSubsetSize(),
                    "at most the dataset's size, " + size);
        }
        int[] indices = settings.evalSubsetSize() <= 0 ? null
                : Evaluator.allIndices(settings.evalSubsetSize());
        JobContext context = jobContext();
        EvaluationResult result = context.evaluate(workspace.model, workspace.plan, indices);
        Map<String, Double> fp32 = fp32BySubset.get(settings.evalSubsetSize());
        if (fp32 == null) {
            fp32 = context.evaluate(workspace.originalModel, null, indices).values();
            fp32BySubset.put(settings.evalSubsetSize(), fp32);
        }
        double ratio = Double.NaN;
        if (settings.seconds() > 0) {
            if (probe == null || !probe.sameSettings(settings)) {
                probe = new LatencyProbe(workspace.pipeline.backend(), workspace.originalModel, settings);
            }
            ratio = probe.ratio(workspace.originalModel, org.pot4j.model.QdqWriter.apply(workspace.model,
                    workspace.plan));
        }
        workspace.events.stage(stage);
        return new TrialMeasurement(result.values(), fp32, result.higherIsBetter(), ratio,
                space.quantizedFraction(choices), (System.nanoTime() - start) / 1e9);
    }

    @Override
    public List<Map<String, Object>> readTrialLog() {
        return log.read();
    }

    @Override
    public void appendTrialLog(Map<String, Object> record) {
        log.append(record);
    }

    @Override
    public void clearTrialLog() {
        log.clear();
    }

    @Override
    public String trialLogLocation() {
        return log.location();
    }

    @Override
    public void trial(long done, long total, String line, Map<String, Object> summary, Map<String, Double> metrics) {
        Map<String, Object> details = new LinkedHashMap<>(summary);
        details.put("server", SERVER);
        workspace.events.emit(JobEventType.METRIC, "trial", done, total, line, null, metrics, details);
        workspace.events.progress(done, total);
    }

    @Override
    public void snapshot(String label, Map<String, String> choices, Map<String, Double> metrics) throws Exception {
        checkChoices(choices);
        apply(choices);
        jobContext().snapshot(label, workspace.model, workspace.plan, metrics);
    }

    @Override
    public void warning(String message) {
        workspace.events.emit(JobEventType.STAGE, workspace.events.stage(), null, null, "warning: " + message, null,
                null, Map.of("warning", message));
        workspace.report.merge("warnings", List.of(message), (a, b) -> {
            List<Object> all = new java.util.ArrayList<>((List<?>) a);
            all.addAll((List<?>) b);
            return all;
        });
    }

    @Override
    public void report(String key, Object value) {
        workspace.report.put(key, value);
    }

    @Override
    public void progress(long done, long total) {
        jobContext().progress(done, total);
    }

    @Override
    public boolean isCancelled() {
        return jobContext().isCancelled();
    }

    @Override
    public void checkCancelled() {
        jobContext().checkCancelled();
    }

    private JobContext jobContext() {
        return new JobContext(workspace, tunableParameters);
    }

    private static String serverName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
