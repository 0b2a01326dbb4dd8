package org.pot4j.orchestrator.internal.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;
import org.pot4j.api.tensor.DataType;

/** "quantized layers: 0" never comes alone: the float layers are listed with reasons and the job warns. */
class FloatComputeTest {

    /** x → MatMul(x, shape-derived) at top level; a Conv in a Loop body. */
    private static Graph model() {
        Graph graph = new Graph();
        graph.inputs().add(new ValueInfo("x", DataType.FLOAT, List.of(ValueInfo.Dim.symbolic("N"), ValueInfo.Dim.of(4))));
        graph.nodes().add(new Node("shape", "Shape", List.of("x"), List.of("s")));
        graph.nodes().add(new Node("cast", "Cast", "", List.of("s"), List.of("sf"), Map.of("to", Attribute.ofInt(1))));
        graph.nodes().add(new Node("matmul", "MatMul", List.of("x", "sf"), List.of("y")));
        Graph body = new Graph();
        body.nodes().add(new Node("conv_in_loop", "Conv", List.of("y", "w"), List.of("z")));
        graph.nodes().add(new Node("loop", "Loop", "", List.of("", ""), List.of("out"),
                Map.of("body", Attribute.ofGraph(body))));
        graph.nodes().add(new Node("gemm", "Gemm", List.of("x", "w"), List.of("g")));
        return graph;
    }

    @Test
    void nothingQuantizedIsAWarningWithAReasonPerLayer() {
        QuantizationPlan plan = new QuantizationPlan();
        plan.ignoredNodes().put("gemm", "ignored_scope");
        FloatCompute result = FloatCompute.of(model(), plan);
        assertEquals(3, result.layers());
        assertEquals(List.of("matmul", "conv_in_loop", "gemm"), List.copyOf(result.floatLayers().keySet()));
        assertTrue(result.floatLayers().get("matmul").contains("'sf' is not a float activation (computes a shape"),
                result.floatLayers().get("matmul"));
        assertTrue(result.floatLayers().get("conv_in_loop").contains("inside body of Loop 'loop'"),
                result.floatLayers().get("conv_in_loop"));
        assertEquals("ignored_scope", result.floatLayers().get("gemm"));
        assertTrue(result.warning(0).startsWith("nothing was quantized"), result.warning(0));
    }

    @Test
    void mostLayersFloatIsAWarningAndAFewAreNot() {
        QuantizationPlan plan = new QuantizationPlan();
        plan.quantizers().put(new QuantizationPoint("gemm", 0, "x", QuantizationPoint.Kind.ACTIVATION),
                new Quantizer(8, true, -1, -128, 127, new float[] {-1}, new float[] {1}, "test"));
        FloatCompute result = FloatCompute.of(model(), plan);
        assertEquals(2, result.floatLayers().size());
        assertTrue(result.warning(1).startsWith("2 of 3 compute layers stay float"), result.warning(1));

        Graph graph = model();
        graph.nodes().removeIf(n -> n.name().equals("loop") || n.name().equals("matmul"));
        assertNull(FloatCompute.of(graph, plan).warning(1));
    }
}
