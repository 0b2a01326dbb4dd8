package org.pot4j.algorithm.minmax.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

class NonNegativeValuesTest {

    private static Graph graph() {
        Graph g = new Graph();
        g.opsets().put("", 13L);
        g.inputs().add(new ValueInfo("x", DataType.FLOAT, null));
        g.initializers().put("zero", Tensor.ofFloats(new long[] {}, new float[] {0f}));
        g.initializers().put("minus", Tensor.ofFloats(new long[] {}, new float[] {-1f}));
        g.initializers().put("six", Tensor.ofFloats(new long[] {}, new float[] {6f}));
        g.nodes().add(new Node("relu", "Relu", List.of("x"), List.of("r")));
        g.nodes().add(new Node("relu6", "Clip", List.of("x", "zero", "six"), List.of("clip0")));
        g.nodes().add(new Node("clipNeg", "Clip", List.of("x", "minus", "six"), List.of("clipMinus")));
        g.nodes().add(new Node("clipNone", "Clip", List.of("x"), List.of("clipUnbounded")));
        g.nodes().add(new Node("k", "Constant", "", List.of(), List.of("constZero"),
                Map.of("value", Attribute.ofTensor(Tensor.ofFloats(new long[] {}, new float[] {0f})))));
        g.nodes().add(new Node("clipConst", "Clip", List.of("x", "constZero"), List.of("clipFromConstant")));
        g.nodes().add(new Node("clipOld", "Clip", "", List.of("x"), List.of("clipAttribute"),
                Map.of("min", Attribute.ofFloat(0f), "max", Attribute.ofFloat(6f))));
        g.nodes().add(new Node("clipOfRelu", "Clip", List.of("r", "minus", "six"), List.of("clipOfRelu")));
        g.nodes().add(new Node("pool", "MaxPool", List.of("r"), List.of("pooled")));
        g.nodes().add(new Node("flatten", "Flatten", List.of("pooled"), List.of("flat")));
        g.nodes().add(new Node("add", "Add", List.of("r", "clip0"), List.of("sumOfNonNegative")));
        g.nodes().add(new Node("addSigned", "Add", List.of("r", "x"), List.of("sumWithSigned")));
        g.nodes().add(new Node("max", "Max", List.of("x", "r"), List.of("maxWithRelu")));
        g.nodes().add(new Node("conv", "Conv", List.of("r", "W"), List.of("convOfRelu")));
        g.nodes().add(new Node("custom", "Relu", "com.example", List.of("x"), List.of("customRelu"), Map.of()));
        return g;
    }

    @Test
    void nonNegativeByConstruction() {
        NonNegativeValues values = new NonNegativeValues(graph());
        for (String tensor : List.of("r", "clip0", "clipFromConstant", "clipAttribute", "clipOfRelu", "pooled", "flat",
                "sumOfNonNegative", "maxWithRelu")) {
            assertTrue(values.reason(tensor).isPresent(), tensor);
        }
        assertEquals("output of Flatten flatten of output of MaxPool pool of output of Relu relu",
                values.reason("flat").orElseThrow());
    }

    @Test
    void possiblyNegative() {
        NonNegativeValues values = new NonNegativeValues(graph());
        for (String tensor : List.of("x", "clipMinus", "clipUnbounded", "sumWithSigned", "convOfRelu", "customRelu",
                "unknown")) {
            assertFalse(values.reason(tensor).isPresent(), tensor);
        }
    }

    /** mobilenet_v2_tiny: the ReLU6 (Clip 0..6) outputs feeding convs, not the linear bottlenecks or residual sums. */
    @Test
    void mobilenetClipOutputsAreNonNegativeAndBlockInputsAreNot() {
        Graph model = OnnxCodec.read(TestFiles.model("mobilenet_v2_tiny"));
        NonNegativeValues values = new NonNegativeValues(model);
        Map<String, Boolean> convInputs = model.nodes().stream().filter(n -> n.opType().equals("Conv"))
                .map(n -> n.input(0)).distinct()
                .collect(Collectors.toMap(t -> t, t -> values.reason(t).isPresent()));
        Set<String> producers = model.nodes().stream().filter(n -> convInputs.getOrDefault(n.outputs().get(0), false))
                .map(Node::opType).collect(Collectors.toSet());
        assertEquals(Set.of("Clip"), producers);
        assertEquals(34, convInputs.values().stream().filter(b -> b).count());
        assertFalse(values.reason(model.inputs().get(0).name()).isPresent());
    }
}
