package org.pot4j.algorithm.minmax.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pot4j.model.TensorTypes;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/** The element types MinMax relies on (TensorTypes, shared with the model bundle), on traced-model patterns. */
class InferredTypesTest {

    @Test
    void traceShapeArithmeticIsInt64AndTheActivationsStayFloat() {
        // x FLOAT -> Shape -> Gather(index) -> Add(one) -> Cast(to FLOAT) -> Mul(x, that): a traced model's size math
        Graph graph = new Graph();
        graph.inputs().add(new ValueInfo("x", DataType.FLOAT, null));
        graph.initializers().put("index", Tensor.ofLongs(new long[] {}, new long[] {1}));
        graph.initializers().put("one", Tensor.ofLongs(new long[] {}, new long[] {1}));
        graph.nodes().add(new Node("shape", "Shape", List.of("x"), List.of("s")));
        graph.nodes().add(new Node("gather", "Gather", List.of("s", "index"), List.of("d")));
        graph.nodes().add(new Node("add", "Add", List.of("d", "one"), List.of("d1")));
        Node cast = new Node("cast", "Cast", List.of("d1"), List.of("f"));
        cast.attributes().put("to", Attribute.ofInt(DataType.FLOAT.onnxCode()));
        graph.nodes().add(cast);
        graph.nodes().add(new Node("mul", "Mul", List.of("x", "f"), List.of("y")));
        graph.nodes().add(new Node("less", "Less", List.of("y", "x"), List.of("mask")));
        graph.nodes().add(new Node("where", "Where", List.of("mask", "x", "y"), List.of("z")));
        TensorTypes types = TensorTypes.infer(graph);
        assertEquals(Optional.of(DataType.INT64), types.type("s"));
        assertEquals(Optional.of(DataType.INT64), types.type("d"));
        assertEquals(Optional.of(DataType.INT64), types.type("d1"), "Add of INT64 sizes: not an activation");
        assertEquals(Optional.of(DataType.FLOAT), types.type("f"));
        assertEquals(Optional.of(DataType.FLOAT), types.type("y"));
        assertEquals(Optional.of(DataType.BOOL), types.type("mask"));
        assertEquals(Optional.of(DataType.FLOAT), types.type("z"), "Where takes its branches' type");
        assertTrue(types.type("unknown").isEmpty());
        assertTrue(!types.isConstant("y") && !types.isConstant("s"), "computed from the input x");
    }

    @Test
    void aValueComputedFromInitializersOnlyIsConstant() {
        Graph graph = new Graph();
        graph.inputs().add(new ValueInfo("x", DataType.FLOAT, null));
        graph.initializers().put("table", Tensor.ofFloats(new long[] {2}, new float[] {1, 2}));
        graph.nodes().add(new Node("scale", "Mul", List.of("table", "table"), List.of("position")));
        graph.nodes().add(new Node("add", "Add", List.of("x", "position"), List.of("y")));
        TensorTypes types = TensorTypes.infer(graph);
        assertTrue(types.isConstant("position"), "the same for every sample: no activation");
        assertTrue(!types.isConstant("y"));
    }

    @Test
    void anIfsOutputIsNotItsConditionsType() {
        Graph graph = new Graph();
        graph.inputs().add(new ValueInfo("x", DataType.FLOAT, null));
        graph.nodes().add(new Node("mean", "ReduceMean", List.of("x"), List.of("m")));
        graph.nodes().add(new Node("less", "Less", List.of("m", "x"), List.of("c")));
        Node branch = new Node("if", "If", List.of("c"), List.of("out"));
        branch.attributes().put("then_branch", Attribute.ofGraph(new Graph()));
        branch.attributes().put("else_branch", Attribute.ofGraph(new Graph()));
        graph.nodes().add(branch);
        TensorTypes types = TensorTypes.infer(graph);
        assertEquals(Optional.of(DataType.BOOL), types.type("c"));
        assertTrue(types.type("out").isEmpty(), "unknown (taken as float), not BOOL like the condition");
        assertTrue(!types.isConstant("out"));
    }
}
