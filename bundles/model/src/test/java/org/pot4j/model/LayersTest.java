package org.pot4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.testsupport.TestFiles;

class LayersTest {

    @Test
    void everyConvAndGemmOfARealModelHasAsManyBiasValuesAsOutputChannels() {
        Graph model = OnnxCodec.read(TestFiles.model("cnn_relu"));
        int layers = 0;
        for (Node node : model.nodes()) {
            Tensor weight = Layers.convOrGemmWeight(model, node);
            if (weight == null) {
                continue;
            }
            layers++;
            assertTrue(Layers.hasBias(model, node), node.name());
            int channels = Layers.outputChannels(node, weight);
            assertEquals(channels, Layers.biasOrZeros(model, node, channels).length, node.name());
            assertEquals(channels, weight.dim(Layers.outputChannelAxis(node, weight)));
        }
        assertTrue(layers >= 2, "cnn_relu has Conv and Gemm layers, found " + layers);
    }

    @Test
    void gemmChannelsAndIndexFollowTransB() {
        Graph model = new Graph();
        model.initializers().put("w", Tensor.ofFloats(new long[] {3, 2}, new float[] {0, 1, 2, 3, 4, 5}));
        Node plain = new Node("plain", "Gemm", List.of("x", "w"), List.of("y"));
        Node transposed = new Node("t", "Gemm", "", List.of("x", "w"), List.of("z"),
                Map.of("transB", Attribute.ofInt(1)));
        Tensor w = model.initializers().get("w");
        assertEquals(3, Layers.inputChannels(plain, w));
        assertEquals(2, Layers.outputChannels(plain, w));
        assertEquals(2, Layers.inputChannels(transposed, w));
        assertEquals(3, Layers.outputChannels(transposed, w));
        // W[row 2, column 1]: [K, N] stores it at 2*2+1, [N, K] at 1*2+2
        assertEquals(5, Layers.matrixIndex(plain, w.shape(), 2, 1));
        assertEquals(4, Layers.matrixIndex(transposed, w.shape(), 2, 1));
    }

    @Test
    void aSharedBiasIsNotOverwrittenAndAMissingOneIsAdded() {
        Graph model = new Graph();
        float[] shared = {1, 2};
        model.initializers().put("b", Tensor.ofFloats(new long[] {2}, shared));
        Node first = new Node("first", "Conv", List.of("x", "w", "b"), List.of("y1"));
        Node second = new Node("second", "Conv", List.of("x", "w", "b"), List.of("y2"));
        Node third = new Node("third", "Conv", List.of("x", "w"), List.of("y3"));
        model.nodes().addAll(List.of(first, second, third));

        String name = Layers.replaceBias(model, first, new float[] {5, 6}, "_bias_corrected");
        assertEquals("first_bias_corrected", name);
        assertEquals(name, first.input(2));
        assertArrayEquals(new float[] {1, 2}, model.initializers().get("b").floats());
        assertEquals("b", second.input(2));

        String added = Layers.replaceBias(model, third, new float[] {7, 8}, "_bias_corrected");
        assertEquals("third_bias_corrected", added);
        assertArrayEquals(new long[] {2}, model.initializers().get(added).shape());

        Tensor before = model.initializers().get(added);
        assertSame(added, Layers.replaceBias(model, third, new float[] {9, 9}, "_bias_corrected"));
        assertArrayEquals(new float[] {7, 8}, before.floats(), "the old tensor keeps its values");
        assertArrayEquals(new float[] {9, 9}, model.initializers().get(added).floats());
    }

    @Test
    void atomicWriteReplacesTheFileAndLeavesNoTemporaryFile(@TempDir Path folder) throws Exception {
        Path target = folder.resolve("sub/model.onnx");
        AtomicFiles.write(target, new byte[] {1, 2, 3});
        AtomicFiles.write(target, new byte[] {4});
        assertArrayEquals(new byte[] {4}, Files.readAllBytes(target));
        try (var files = Files.list(target.getParent())) {
            assertEquals(List.of(target), files.toList());
        }
    }
}
