package org.pot4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.testsupport.TestFiles;

/** Acceptance 2 of issue 3: read → write of every shared model gives identical ORT outputs on 100 samples. */
class RoundTripTest {
    private static float[][] images;

    @BeforeAll
    static void loadImages() throws Exception {
        images = TestFiles.testImages(0, 100);
    }

    static java.util.List<String> models() {
        return TestFiles.MODELS;
    }

    @ParameterizedTest
    @MethodSource("models")
    void roundTripGivesIdenticalOutputs(String name) throws Exception {
        byte[] original = Files.readAllBytes(TestFiles.model(name));
        Graph graph = OnnxCodec.read(TestFiles.model(name));
        byte[] written = OnnxCodec.write(graph);
        // the shared models use raw_data and no fields outside the IR, so even the bytes come back unchanged
        assertArrayEquals(original, written, name + " bytes after read -> write");

        float[][] expected;
        float[][] actual;
        try (Ort reference = new Ort(original); Ort roundTripped = new Ort(written)) {
            expected = reference.logits(images);
            actual = roundTripped.logits(images);
        }
        assertEquals(100, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], 0f, "sample " + i + " of " + name);
        }
        System.out.printf("%s: %d nodes, %d initializers, opset %d, ir %d, producer %s %s, %d -> %d bytes, ops %s%n",
                name, graph.nodes().size(), graph.initializers().size(), graph.opset(), graph.irVersion(),
                graph.producerName(), graph.producerVersion(), original.length, written.length, histogram(graph));
    }

    @ParameterizedTest
    @MethodSource("models")
    void writingIsStableAcrossRoundTrips(String name) {
        Graph graph = OnnxCodec.read(TestFiles.model(name));
        byte[] once = OnnxCodec.write(graph);
        Graph again = OnnxCodec.read(once);
        assertArrayEquals(once, OnnxCodec.write(again), "write(read(write(g))) must equal write(g)");
        assertEquals(graph.inputs(), again.inputs());
        assertEquals(graph.outputs(), again.outputs());
        assertEquals(graph.valueInfos(), again.valueInfos());
        assertEquals(graph.opsets(), again.opsets());
        assertEquals(graph.metadata(), again.metadata());
        assertEquals(histogram(graph), histogram(again));
    }

    static Map<String, Integer> histogram(Graph graph) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Node node : graph.nodes()) {
            counts.merge(node.opType(), 1, Integer::sum);
        }
        return counts;
    }
}
