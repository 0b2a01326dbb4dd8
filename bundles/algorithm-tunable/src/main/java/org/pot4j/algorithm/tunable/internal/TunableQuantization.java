package org.pot4j.algorithm.tunable.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.ContextWithParameters;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.optimizer.SearchSpace;
import org.pot4j.api.optimizer.TunableAlgorithm;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;

/**
 * POT's TunableQuantization: MinMaxQuantization (the live one, with all its parameters) whose
 * layers an optimizer tunes one by one: the range estimator ({@code tuning_scope} range_estimator,
 * expanded by {@code estimator_tuning_scope}) and, with {@code layer}, keeping the layer in float.
 * The statistics of every estimator of the space are declared at once, so the job collects them in
 * one pass; MinMax then plans once per estimator and a trial only combines those plans. Without
 * an optimizer it is MinMaxQuantization with the user's parameters.
 */
@Component(service = QuantizationAlgorithm.class, property = QuantizationAlgorithm.PROPERTY + "=TunableQuantization")
public final class TunableQuantization implements QuantizationAlgorithm, TunableAlgorithm {
    static final List<String> OWN_KEYS = List.of("tuning_scope", "estimator_tuning_scope", "outlier_prob_choices");

    private final QuantizationAlgorithm minMax;

    @Activate
    public TunableQuantization(@Reference(target = "(" + QuantizationAlgorithm.PROPERTY + "=MinMaxQuantization)")
                               QuantizationAlgorithm minMax) {
        this.minMax = minMax;
    }

    @Override
    public List<ParameterDescriptor> parameters() {
        List<ParameterDescriptor> all = new ArrayList<>(minMax.parameters());
        all.add(ParameterDescriptor.optional("tuning_scope", ParameterType.LIST, List.of("layer"),
                "what each layer may change: range_estimator, layer (keep float)"));
        all.add(ParameterDescriptor.optional("estimator_tuning_scope", ParameterType.LIST,
                List.of("preset", "outlier_prob"), "range_estimator choices: preset (default, quantile),"
                        + " outlier_prob (quantile with each of outlier_prob_choices)"));
        all.add(ParameterDescriptor.optional("outlier_prob_choices", ParameterType.LIST, List.of(1e-3, 1e-4, 1e-5),
                "outlier probabilities of the quantile estimators"));
        return all;
    }

    @Override
    public List<StatisticRequest> statistics(AlgorithmContext context) {
        Set<StatisticRequest> all = new LinkedHashSet<>();
        for (Parameters variant : variants(context.parameters()).values()) {
            all.addAll(minMax.statistics(new ContextWithParameters(context, validated(variant))));
        }
        return new ArrayList<>(all);
    }

    @Override
    public void apply(AlgorithmContext context, Statistics statistics) throws Exception {
        Parameters reference = variants(context.parameters()).get(EstimatorVariants.REFERENCE);
        minMax.apply(new ContextWithParameters(context, validated(reference)), statistics);
    }

    @Override
    public SearchSpace prepare(AlgorithmContext context, Statistics statistics) throws Exception {
        QuantizationPlan initial = context.plan().copy();
        Map<String, QuantizationPlan> plans = new LinkedHashMap<>();
        for (Map.Entry<String, Parameters> variant : variants(context.parameters()).entrySet()) {
            context.checkCancelled();
            context.setPlan(initial.copy());
            minMax.apply(new ContextWithParameters(context, validated(variant.getValue())), statistics);
            plans.put(variant.getKey(), context.plan());
        }
        context.setPlan(initial);
        TunableSpace space = new TunableSpace(plans, scope(context.parameters()).contains("layer"));
        context.report("tunable_quantization", Map.of("estimators", new ArrayList<>(plans.keySet()),
                "tuned_layers", space.parameters().size()));
        return space;
    }

    private Parameters validated(Parameters minMaxParams) {
        return minMaxParams.validate(minMax.parameters());
    }

    private static List<String> scope(Parameters params) {
        return params.stringList("tuning_scope");
    }

    private static Map<String, Parameters> variants(Parameters params) {
        List<String> scope = scope(params);
        List<String> estimatorScope = params.stringList("estimator_tuning_scope");
        EstimatorVariants.check(params, scope, estimatorScope);
        return EstimatorVariants.of(params, scope, estimatorScope,
                EstimatorVariants.numbers(params.list("outlier_prob_choices"), params, "outlier_prob_choices"));
    }
}
