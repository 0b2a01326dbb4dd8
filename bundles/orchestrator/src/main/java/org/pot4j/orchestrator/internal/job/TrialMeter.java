package org.pot4j.orchestrator.internal.job;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.algorithm.EvaluationResult;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.optimizer.SearchParameter;
import org.pot4j.api.optimizer.SearchSpace;
import org.pot4j.api.optimizer.TrialMeasurement;
import org.pot4j.api.optimizer.TrialSettings;
import org.pot4j.api.optimizer.TunableAlgorithm;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;

/**
 * A tuning job's search space, prepared on one workspace, and how a trial is built and measured there: the model
 * and plan reset to the point before the tunable algorithm, the choices applied, the algorithms after it rerun
 * (their statistics from the cache), an evaluation on the eval subset (FP32 on the same subset once) and the latency
 * ratio to FP32 ({@link LatencyProbe}). The job's owner and every server measuring its trials build one.
 */
final class TrialMeter {
    private final Workspace workspace;
    private final Pipeline.OptimizerStep step;
    private final Parameters tunableParameters;
    private final SearchSpace space;
    private final Graph baseModel;
    private final QuantizationPlan basePlan;
    private final Map<Integer, Map<String, Double>> fp32BySubset = new HashMap<>();
    private LatencyProbe probe;

    private TrialMeter(Workspace workspace, Pipeline.OptimizerStep step, Parameters tunableParameters,
                       SearchSpace space, Graph baseModel, QuantizationPlan basePlan) {
        this.workspace = workspace;
        this.step = step;
        this.tunableParameters = tunableParameters;
        this.space = space;
        this.baseModel = baseModel;
        this.basePlan = basePlan;
    }

    /**
     * Runs the algorithms before the tunable one, collects the tunable one's declared statistics (every estimator of
     * its space: one pass, or the statistics cache) and prepares the search space.
     */
    static TrialMeter prepare(Workspace workspace, Pipeline.OptimizerStep step) throws Exception {
        List<Pipeline.AlgorithmStep> algorithms = workspace.pipeline.algorithms();
        for (int i = 0; i < step.tunableIndex(); i++) {
            Pipeline.AlgorithmStep before = algorithms.get(i);
            JobContext.runAlgorithm(workspace, before.name(), before.algorithm(), before.parameters());
        }
        Pipeline.AlgorithmStep tunable = algorithms.get(step.tunableIndex());
        Graph baseModel = workspace.model;
        QuantizationPlan basePlan = workspace.plan.copy();
        JobContext context = new JobContext(workspace, tunable.parameters());
        var statistics = context.declaredStatistics(tunable.name(), tunable.algorithm());
        context.stage(tunable.name() + ": search space");
        SearchSpace space = ((TunableAlgorithm) tunable.algorithm()).prepare(context, statistics);
        return new TrialMeter(workspace, step, tunable.parameters(), space, baseModel, basePlan);
    }

    SearchSpace space() {
        return space;
    }

    JobContext jobContext() {
        return new JobContext(workspace, tunableParameters);
    }

    /** Leaves the model of {@code choices} in the workspace. */
    void apply(Map<String, String> choices) throws Exception {
        workspace.model = workspace.pipeline.algorithms().size() > step.tunableIndex() + 1 ? baseModel.copy() : baseModel;
        workspace.plan = basePlan.copy();
        space.apply(jobContext(), choices);
        List<Pipeline.AlgorithmStep> algorithms = workspace.pipeline.algorithms();
        for (int i = step.tunableIndex() + 1; i < algorithms.size(); i++) {
            Pipeline.AlgorithmStep after = algorithms.get(i);
            JobContext.runAlgorithm(workspace, after.name(), after.algorithm(), after.parameters());
        }
    }

    /** Every choice names a parameter of the space and one of its choices; else an error naming both. */
    void checkChoices(Map<String, String> choices) {
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

    TrialMeasurement measure(Map<String, String> choices, TrialSettings settings) throws Exception {
        checkChoices(choices);
        long start = System.nanoTime();
        String stage = workspace.events.stage();
        apply(choices);
        int size = workspace.validation.size();
        if (settings.evalSubsetSize() > size) {
            throw new InvalidInputException(step.parameters().pathOf("eval_subset_size"), settings.evalSubsetSize(),
                    "at most the dataset's size, " + size);
        }
        int[] indices = settings.evalSubsetSize() <= 0 ? null : Evaluator.allIndices(settings.evalSubsetSize());
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
}
