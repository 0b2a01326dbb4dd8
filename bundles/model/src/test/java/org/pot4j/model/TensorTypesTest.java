package org.pot4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/** The attention scale of a traced ViT: d ** -0.5 from the input's shape, next to the activations it multiplies. */
class TensorTypesTest {

    @Test
    void shapeArithmeticIntegersAndScalarsAreNotFloatActivations() {
        Graph graph = OpsetUpgradeTest.model(13, 4);
        graph.initializers().put("last", new Tensor(DataType.INT64, new long[0], new long[] {3}));
        graph.initializers().put("half", new Tensor(DataType.FLOAT, new long[0], new float[] {-0.5f}));
        graph.initializers().put("gamma", Tensor.ofFloats(new long[] {16}, new float[16]));
        graph.initializers().put("new_shape", Tensor.ofLongs(new long[] {3}, new long[] {2, 3, 16}));
        var nodes = graph.nodes();
        nodes.add(OpsetUpgradeTest.node("shape", "Shape", List.of("x"), "s", Map.of()));
        nodes.add(OpsetUpgradeTest.node("gather", "Gather", List.of("s", "last"), "d", Map.of()));
        nodes.add(OpsetUpgradeTest.node("cast", "Cast", List.of("d"), "df", Map.of("to", Attribute.ofInt(1))));
        nodes.add(OpsetUpgradeTest.node("pow", "Pow", List.of("df", "half"), "scale", Map.of()));
        nodes.add(OpsetUpgradeTest.node("reshape", "Reshape", List.of("x", "new_shape"), "r", Map.of()));
        nodes.add(OpsetUpgradeTest.node("mul", "Mul", List.of("r", "scale"), "y", Map.of()));
        // torch exports shared LayerNorm parameters as Identity of an initializer: a constant, not an activation
        nodes.add(OpsetUpgradeTest.node("shared", "Identity", List.of("gamma"), "ln.weight", Map.of()));
        nodes.add(OpsetUpgradeTest.node("mean", "ReduceMean", List.of("y"), "m", Map.of("keepdims", Attribute.ofInt(0))));

        TensorTypes types = TensorTypes.infer(graph);
        assertEquals(new TensorTypes.Info(DataType.INT64, 1), types.info("s"));
        assertEquals(new TensorTypes.Info(DataType.INT64, 0), types.info("d"));
        assertEquals(new TensorTypes.Info(DataType.FLOAT, 0), types.info("scale"));
        assertEquals(new TensorTypes.Info(DataType.FLOAT, 3), types.info("y"));
        assertEquals(Optional.of(0), types.rank("m"));
        assertTrue(types.notFloatActivation("d").orElseThrow().contains("INT64"));
        assertTrue(types.isShapeComputation("scale"));
        assertTrue(types.notFloatActivation("scale").isPresent());
        assertTrue(types.notFloatActivation("r").isEmpty());
        assertTrue(types.notFloatActivation("y").isEmpty());
        assertTrue(types.notFloatActivation("m").orElseThrow().contains("rank 0"));
        assertTrue(types.notFloatActivation("ln.weight").orElseThrow().contains("a constant"));
    }
}
