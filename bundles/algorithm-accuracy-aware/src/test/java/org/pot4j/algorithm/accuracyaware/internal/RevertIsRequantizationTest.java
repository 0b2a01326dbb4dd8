package org.pot4j.algorithm.accuracyaware.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pot4j.algorithm.activationchannelalignment.internal.ActivationChannelAlignment;
import org.pot4j.algorithm.defaultquantization.internal.DefaultQuantization;
import org.pot4j.algorithm.fastbiascorrection.internal.FastBiasCorrection;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;

import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/**
 * Issue 14, acceptance 1: for every quantized layer L, AccuracyAware's candidate "L reverted" is
 * the model DefaultQuantization makes with L in its ignored scope: the same outputs on 100
 * samples, on cnn_relu_outlier, mobilenet_v2_tiny and its outlier variant. DefaultQuantization runs as the distribution deploys it, with ActivationChannelAlignment
 * (which shifts a producer's bias and compensates in its consumer: restoring one layer's own
 * weights, the old revert, broke that compensation) and FastBiasCorrection.
 */
class RevertIsRequantizationTest {
    private static final int SAMPLES = 100;
    private static IdxDataset calibration;
    private static IdxDataset validation;

    @BeforeAll
    static void data() throws Exception {
        calibration = IdxDataset.calibration();
        validation = IdxDataset.test(SAMPLES);
    }

    private static RealContext context(String model) {
        return new RealContext(OnnxCodec.read(TestFiles.model(model)), new CpuDevice("auto").hardwareConfig(),
                calibration, validation)
                .withStatisticsCache()
                .register("MinMaxQuantization", new MinMaxQuantization())
                .register("FastBiasCorrection", new FastBiasCorrection())
                .register("ActivationChannelAlignment", new ActivationChannelAlignment())
                .register("DefaultQuantization", new DefaultQuantization());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_relu_outlier", "mobilenet_v2_tiny", "mobilenet_v2_tiny_outlier"})
    void everyRevertedLayerGivesTheModelDefaultQuantizationMakesWithTheLayerIgnored(String model) throws Exception {
        Parameters base = RealContext.params(Map.of("preset", "performance", "stat_subset_size", 300));
        RealContext requantizing = context(model);
        Requantizer requantizer = new Requantizer(requantizing, "DefaultQuantization", requantizing.model().copy(),
                requantizing.plan().copy());
        Requantizer.Result full = requantizer.quantize(base, List.of());
        List<String> layers = new ArrayList<>(full.plan().quantizedNodes());
        assertTrue(layers.size() >= 5, model + " quantizes its layers: " + layers);

        RealContext reference = context(model);
        Graph fp32 = reference.model().copy();
        int passes = -1;
        for (String layer : layers) {
            Requantizer.Result candidate = requantizer.quantize(base, List.of(layer));
            assertFalse(candidate.plan().quantizedNodes().contains(layer), layer);
            assertEquals(Requantizer.REASON, candidate.plan().ignoredNodes().get(layer), layer);
            // the layer, and with the CPU's runtime placement the layer feeding it too (a reverted layer reads float
            // values, and that layer's integer kernel would need its output quantized); the layer before that may gain
            // an output quantizer (on its fused Relu/Clip)
            Set<String> layersWithInputs = withInputPoints(candidate.plan());
            assertTrue(withInputPoints(full.plan()).containsAll(layersWithInputs), layer);
            assertTrue(layersWithInputs.size() <= withInputPoints(full.plan()).size() - 1, layer);

            reference.setModel(fp32.copy());
            reference.setPlan(new QuantizationPlan());
            reference.run("DefaultQuantization", Requantizer.ignoring(base, List.of(layer)));
            float[] expected = outputs(reference, reference.model(), reference.plan());
            float[] actual = outputs(requantizing, candidate.model(), candidate.plan());
            assertEquals(expected.length, actual.length);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-5f * Math.max(1f, Math.abs(expected[i])),
                        layer + " reverted, output " + i);
            }
            // a requantization reuses the FP32 statistics, unless the revert gave a layer before it an output
            // quantizer on a tensor no point of the full plan reads (after its Relu, before a MaxPool): that tensor's
            // range is collected once (the statistics cache keeps it for later candidates)
            Set<String> fullTensors = new java.util.HashSet<>();
            full.plan().quantizers().keySet().forEach(p -> fullTensors.add(p.tensor()));
            boolean newTensor = candidate.plan().quantizers().keySet().stream()
                    .anyMatch(p -> !p.isWeight() && !fullTensors.contains(p.tensor()));
            if (passes >= 0 && !newTensor) {
                assertEquals(passes, requantizing.statisticsPasses(), "a requantization reuses the FP32 statistics");
            }
            passes = requantizing.statisticsPasses();
        }
    }

    /** Quantized nodes with a point on an input (not only an output quantizer). */
    private static Set<String> withInputPoints(QuantizationPlan plan) {
        Set<String> nodes = new java.util.LinkedHashSet<>();
        plan.quantizers().keySet().stream().filter(p -> p.inputIndex() >= 0).forEach(p -> nodes.add(p.nodeName()));
        return nodes;
    }

    private static float[] outputs(RealContext context, Graph model, QuantizationPlan plan) {
        try (InferenceSession session = context.openSession(model, plan, SessionOptions.defaults().withThreads(1))) {
            String input = model.inputs().get(0).name();
            String output = model.outputs().get(0).name();
            return session.run(Map.of(input, validation.batch(0, SAMPLES)), List.of(output)).get(output).toFloats();
        }
    }
}
