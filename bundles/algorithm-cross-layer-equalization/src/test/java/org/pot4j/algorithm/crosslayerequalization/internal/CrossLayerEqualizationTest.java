package org.pot4j.algorithm.crosslayerequalization.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/** CrossLayerEqualization on the real shared models, run with ONNX Runtime. */
class CrossLayerEqualizationTest {
    private static IdxDataset calibration;
    private static IdxDataset test;

    @BeforeAll
    static void data() throws Exception {
        calibration = IdxDataset.calibration();
        test = IdxDataset.test(1000);
    }

    static RealContext context(String model) {
        return new RealContext(OnnxCodec.read(TestFiles.model(model)), new CpuDevice("true").hardwareConfig(),
                calibration, test)
                .register("CrossLayerEqualization", new CrossLayerEqualization())
                .register("MinMaxQuantization", new MinMaxQuantization());
    }

    /** Logits of the first {@code n} test images. */
    static float[] logits(RealContext context, Graph model, int n) {
        try (InferenceSession session = context.openSession(model, null, SessionOptions.defaults().withThreads(1))) {
            String input = model.inputs().get(0).name();
            String output = model.outputs().get(0).name();
            return session.run(Map.of(input, test.batch(0, n)), List.of(output)).get(output).toFloats();
        }
    }

    /** max |a - b| / max |a|. */
    static double relativeError(float[] a, float[] b) {
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(a[i]));
        }
        return diff / scale;
    }

    @Test
    void preservesTheFunctionOfEverySharedModel() throws Exception {
        for (String name : List.of("cnn_relu", "cnn_relu_outlier", "mobilenet_v2_tiny")) {
            for (String range : List.of("weights", "activations")) {
                RealContext context = context(name);
                Graph fp32 = context.model();
                context.run("CrossLayerEqualization", RealContext.params(Map.of("range", range)));
                double error = relativeError(logits(context, fp32, 200), logits(context, context.model(), 200));
                System.out.printf("%-18s range=%-11s relative logit error after CLE %.2e, report %s%n", name, range,
                        error, context.reports().get("cross_layer_equalization"));
                assertTrue(error < 1e-4, name + " " + range + ": " + error);
            }
        }
    }

    /** The figures behind DefaultQuantization's auto threshold: each pair's first-side range spread. */
    @Test
    void printsTheRangeSpreadOfEveryPair() {
        for (String name : TestFiles.MODELS) {
            Graph model = OnnxCodec.read(TestFiles.model(name));
            for (LayerPairs.Pair pair : LayerPairs.find(model).pairs()) {
                Tensor w1 = model.initializers().get(pair.first().input(1));
                double spread = CrossLayerEqualization.spread(
                        new ChannelWeights(pair.first(), w1.shape(), w1.floats()).outputRanges(pair.channels()));
                System.out.printf("spread %-26s %-50s %8.1f%n", name, pair.first().name(), spread);
            }
        }
    }

    @Test
    void pairsEveryConsecutiveLayerOfCnnReluThroughReluMaxPoolAndFlatten() {
        Graph model = OnnxCodec.read(TestFiles.model("cnn_relu_outlier"));
        LayerPairs.Search search = LayerPairs.find(model);
        assertEquals(5, search.pairs().size(), search.toString());
        LayerPairs.Pair toGemm = search.pairs().get(3);
        assertEquals("Gemm", toGemm.second().opType());
        assertEquals(64, toGemm.channels());
        assertEquals(49, toGemm.spatial(), "7x7 columns per channel after Flatten");
        assertEquals("/features/features.13/MaxPool_output_0", toGemm.activation());
        // mobilenet's Clip (Relu6) bounds every channel at the same 6: no per-channel scale passes it
        LayerPairs.Search mobilenet = LayerPairs.find(OnnxCodec.read(TestFiles.model("mobilenet_v2_tiny")));
        assertTrue(mobilenet.pairs().stream().noneMatch(p -> p.between().stream().anyMatch(n -> n.contains("Clip"))));
        assertTrue(mobilenet.skipped().stream().anyMatch(s -> s.contains("Clip")), mobilenet.skipped().toString());
    }

    @Test
    void equalizesWeightRangesOfEachPair() throws Exception {
        RealContext context = context("cnn_relu_outlier");
        context.run("CrossLayerEqualization", RealContext.params(Map.of("iterations", 200, "tolerance", 1e-6)));
        Graph model = context.model();
        for (LayerPairs.Pair pair : LayerPairs.find(model).pairs()) {
            Tensor w1 = model.initializers().get(pair.first().input(1));
            Tensor w2 = model.initializers().get(pair.second().input(1));
            float[] r1 = new ChannelWeights(pair.first(), w1.shape(), w1.floats()).outputRanges(pair.channels());
            float[] r2 = new ChannelWeights(pair.second(), w2.shape(), w2.floats()).inputRanges(pair.channels(),
                    pair.spatial());
            for (int c = 0; c < r1.length; c++) {
                assertEquals(1.0, r1[c] / r2[c], 1e-3, pair.first().name() + " channel " + c);
            }
        }
    }

    /** Issue 4 acceptance 1 on 1000 test images: CLE then MinMax (performance) keeps cnn_relu_outlier within 1 %. */
    @Test
    void makesCnnReluOutlierQuantizable() throws Exception {
        for (String range : List.of("weights", "activations")) {
            RealContext plain = context("cnn_relu_outlier");
            Graph fp32 = plain.model();
            plain.run("MinMaxQuantization", RealContext.params(Map.of("preset", "performance")));
            RealContext equalized = context("cnn_relu_outlier");
            equalized.run("CrossLayerEqualization", RealContext.params(Map.of("range", range)));
            equalized.run("MinMaxQuantization", RealContext.params(Map.of("preset", "performance")));
            double reference = plain.accuracy(fp32, null, test.size());
            double without = plain.accuracy(plain.model(), plain.plan(), test.size());
            double with = equalized.accuracy(equalized.model(), equalized.plan(), test.size());
            System.out.printf("cnn_relu_outlier MinMax performance on %d t10k images: FP32 %.4f, INT8 %.4f (drop %.2f pts),"
                    + " CLE(%s)+INT8 %.4f (drop %.2f pts)%n", test.size(), reference, without, 100 * (reference - without),
                    range, with, 100 * (reference - with));
            assertTrue(reference - with <= 0.01, range + ": drop " + (reference - with));
            assertTrue(with > without, "CLE must help: " + with + " vs " + without);
        }
    }
}
