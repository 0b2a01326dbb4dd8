package org.pot4j.orchestrator.internal.job;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.model.TensorTypes;

/**
 * The compute layers (Conv, ConvTranspose, Gemm, MatMul, in the graph and in If / Loop / Scan bodies) a plan leaves
 * in float, each with the reason, and the warning a job prints when nothing is quantized or most layers stay float:
 * "quantized layers: 0" with nothing else said hides a model whose compute pot4j could not reach.
 */
record FloatCompute(int layers, Map<String, String> floatLayers) {
    private static final Set<String> COMPUTE = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul");

    static FloatCompute of(Graph model, QuantizationPlan plan) {
        Set<String> quantized = plan.quantizedNodes();
        Map<String, String> floatLayers = new LinkedHashMap<>();
        int[] layers = {0};
        visit(model, TensorTypes.infer(model), null, plan, quantized, floatLayers, layers);
        return new FloatCompute(layers[0], floatLayers);
    }

    private static void visit(Graph graph, TensorTypes types, String scope, QuantizationPlan plan, Set<String> quantized,
                              Map<String, String> floatLayers, int[] layers) {
        for (Node node : graph.nodes()) {
            if (COMPUTE.contains(node.opType()) && node.domain().isEmpty()) {
                layers[0]++;
                if (!quantized.contains(node.name())) {
                    String why = plan.ignoredNodes().get(node.name());
                    if (why == null) {
                        why = scope != null ? "inside " + scope + ": a control-flow body whose condition or trip count"
                                + " depends on the data gets no statistics (only If nodes with a constant condition"
                                + " are folded into the graph)" : noPoint(node, types);
                    }
                    floatLayers.put(node.name(), why);
                }
            }
            node.attributes().forEach((name, attribute) -> {
                String inner = name + " of " + node.opType() + " '" + node.name() + "'";
                if (attribute.type() == Attribute.Type.GRAPH) {
                    visit(attribute.asGraph(), types, inner, plan, quantized, floatLayers, layers);
                } else if (attribute.type() == Attribute.Type.GRAPHS) {
                    attribute.asGraphs().forEach(g -> visit(g, types, inner, plan, quantized, floatLayers, layers));
                }
            });
        }
    }

    private static String noPoint(Node node, TensorTypes types) {
        for (String input : node.inputs()) {
            if (!input.isEmpty() && types.notFloatActivation(input).isPresent() && !types.isConstant(input)) {
                return "no quantization point: input '" + input + "' is not a float activation ("
                        + types.notFloatActivation(input).get() + ")";
            }
        }
        return "no quantization point on its inputs (the device's configuration or the algorithm left it out)";
    }

    /** A warning when no layer, or fewer than half of the compute layers, are quantized; else null. */
    String warning(int quantizedLayers) {
        if (quantizedLayers == 0) {
            return "nothing was quantized: the model is written unchanged in float"
                    + (floatLayers.isEmpty() ? " (it has no quantizable layer)" : "; report.json float_layers says why,"
                    + " per layer (" + floatLayers.size() + " of " + layers + " compute layers)");
        }
        if (floatLayers.size() * 2 > layers) {
            return floatLayers.size() + " of " + layers + " compute layers stay float: report.json float_layers"
                    + " says why, per layer";
        }
        return null;
    }
}
