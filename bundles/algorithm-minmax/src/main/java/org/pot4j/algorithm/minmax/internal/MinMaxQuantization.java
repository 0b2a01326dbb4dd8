package org.pot4j.algorithm.minmax.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.osgi.service.component.annotations.Component;
import org.pot4j.model.ControlFlow;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;

/**
 * POT's MinMaxQuantization: quantizes the inputs of every op the device's hardware config
 * quantizes (minus the ignored scope) in the space the preset and the user's overrides pick,
 * with activation ranges from one statistics pass and weight ranges from the weights
 * themselves. Applies the saturation fix (7-bit weights) where the device reports no VNNI.
 */
@Component(service = QuantizationAlgorithm.class, property = QuantizationAlgorithm.PROPERTY + "=MinMaxQuantization")
public final class MinMaxQuantization implements QuantizationAlgorithm {

    @Override
    public List<ParameterDescriptor> parameters() {
        return MinMaxParameters.top();
    }

    @Override
    public List<StatisticRequest> statistics(AlgorithmContext context) {
        return planner(context).requests();
    }

    @Override
    public void apply(AlgorithmContext context, Statistics statistics) {
        MinMaxPlanner planner = planner(context);
        context.checkCancelled();
        Parameters params = context.parameters().validate(parameters());
        Map<String, Object> saturation = new LinkedHashMap<>();
        Set<QuantizationPoint> sevenBit = saturationFix(planner, params.string("saturation_fix", "auto"),
                context.hardware().properties(), saturation);
        QuantizationPlan plan = planner.build(statistics, sevenBit);
        if (params.bool("latency_check", true) && "true".equals(context.hardware().properties().get("latency_check"))
                && statistics != null) {
            context.stage("latency check");
            LatencyCheck check = new LatencyCheck(context, planner, () -> {
                planner.build(statistics, Set.of()); // the points as they now stand, for the saturation fix's first layer
                return planner.build(statistics, saturationFix(planner, params.string("saturation_fix", "auto"),
                        context.hardware().properties(), new LinkedHashMap<>()));
            });
            plan = check.run(plan);
            context.report("latency_check", check.report());
            // the saturation fix as it applies to the final plan's first layers
            saturation.clear();
            saturationFix(planner, params.string("saturation_fix", "auto"), context.hardware().properties(), saturation);
            context.report("runtime_kernels", RuntimeKernelCount.count(context, plan, planner.kernels()));
        }
        context.setPlan(plan);

        List<Map<String, Object>> points = new ArrayList<>();
        plan.quantizers().forEach((point, q) -> {
            Map<String, Object> entry = describe(point, q);
            String kernel = planner.kernels().get(point.nodeName());
            if (kernel != null) {
                entry.put("expected_kernel", kernel);
            }
            points.add(entry);
        });
        context.report("quantization_points", points);
        context.report("ignored_nodes", new LinkedHashMap<>(plan.ignoredNodes()));
        context.report("saturation_fix", saturation);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("device", context.hardware().device());
        summary.put("preset", planner.preset());
        summary.put("effective_preset", planner.effectivePreset());
        summary.put("quantized_nodes", plan.quantizedNodes().size());
        summary.put("statistics_samples", statistics == null ? 0 : statistics.samples());
        if (!planner.kernels().isEmpty()) {
            Map<String, Long> byKernel = new java.util.TreeMap<>();
            planner.kernels().values().forEach(k -> byKernel.merge(k, 1L, Long::sum));
            summary.put("expected_kernels", byKernel);
            summary.put("kept_float", planner.keptFloat().size());
        }
        summary.put("notes", planner.notes());
        context.report("min_max_quantization", summary);
    }

    private MinMaxPlanner planner(AlgorithmContext context) {
        Parameters params = context.parameters().validate(parameters());
        // If branches' nodes are candidates too (ControlFlow: their statistics come from the hoisted branches)
        return new MinMaxPlanner(ControlFlow.withBranchNodes(context.model()), context.hardware(), params, context.plan());
    }

    /**
     * Which weight points get 7 bits (only 8-bit weights; first_layer = the first quantized node with weights in graph
     * order; signed_inputs = the first and every node whose activation input is not non-negative by construction).
     * auto (the default): where the CPU device says VNNI is absent on this machine, what the device advises
     * (signed_inputs for ONNX Runtime; first_layer, POT's, for a device that advises nothing else), else none; no,
     * first_layer and all apply as asked on any CPU, as in POT: the model may be deployed on another CPU than the one
     * quantizing it.
     */
    static Set<QuantizationPoint> saturationFix(MinMaxPlanner planner, String setting,
                                                Map<String, String> deviceProperties, Map<String, Object> report) {
        String vnni = deviceProperties.get("vnni");
        boolean requested = !setting.equals("auto");
        // auto follows the device's advice (CPU: signed_inputs, for ONNX Runtime's kernels), else POT's first_layer
        String advised = deviceProperties.getOrDefault("saturation_fix", "first_layer");
        String mode = requested ? setting
                : advised.equals("all") || advised.equals("signed_inputs") ? advised : "first_layer";
        report.put("setting", setting);
        report.put("mode", mode);
        report.put("vnni", vnni == null ? "not reported by the device" : vnni);
        Set<QuantizationPoint> points = new LinkedHashSet<>();
        if (mode.equals("no")) {
            report.put("applied", false);
            report.put("reason", "saturation_fix is no");
            return points;
        }
        if (vnni == null) {
            report.put("applied", false);
            report.put("reason", "the device does not use VNNI-less int8 kernels");
            return points;
        }
        if (!requested && !"false".equals(vnni)) {
            report.put("applied", false);
            report.put("reason", vnni == null ? "the device does not use VNNI-less int8 kernels"
                    : "the CPU has VNNI: u8 x s8 products cannot saturate");
            return points;
        }
        String firstNode = null;
        for (MinMaxPlanner.PointSpec spec : planner.points()) {
            if (!spec.point().isWeight() || spec.bits() != 8) {
                continue;
            }
            if (firstNode == null) {
                firstNode = spec.point().nodeName();
            }
            if (mode.equals("all") || spec.point().nodeName().equals(firstNode)
                    || mode.equals("signed_inputs") && planner.readsSignedActivation(spec.point().nodeName())) {
                points.add(spec.point());
            }
        }
        report.put("applied", !points.isEmpty());
        report.put("reason", !"false".equals(vnni)
                ? "requested (saturation_fix " + mode + "), although this CPU has VNNI: 7-bit weights for CPUs without"
                        + " it, where u8 x s8 products can saturate int16"
                : "no VNNI on this CPU: 7-bit weights avoid int16 saturation of u8 x s8 products");
        report.put("nodes", points.stream().map(QuantizationPoint::nodeName).distinct().toList());
        return points;
    }

    static Map<String, Object> describe(QuantizationPoint point, Quantizer q) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("node", point.nodeName());
        if (point.inputIndex() < 0) {
            entry.put("output", -1 - point.inputIndex()); // an output point (QDQ writer convention)
        } else {
            entry.put("input", point.inputIndex());
        }
        entry.put("tensor", point.tensor());
        entry.put("kind", point.kind().name().toLowerCase());
        entry.put("bits", q.bits());
        entry.put("mode", q.symmetric() ? "symmetric" : "asymmetric");
        entry.put("granularity", q.perChannel() ? "perchannel" : "pertensor");
        if (q.perChannel()) {
            entry.put("axis", q.axis());
        }
        entry.put("level_low", q.levelLow());
        entry.put("level_high", q.levelHigh());
        entry.put("signed", q.signed());
        if (q.perChannel()) {
            entry.put("scale", q.scales());
            entry.put("zero_point", q.zeroPoints());
        } else {
            entry.put("min", q.min()[0]);
            entry.put("max", q.max()[0]);
            entry.put("scale", q.scales()[0]);
            entry.put("zero_point", q.zeroPoints()[0]);
        }
        entry.put("range_source", q.rangeSource());
        return entry;
    }
}
