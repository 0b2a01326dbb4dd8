package org.pot4j.algorithm.defaultquantization.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pot4j.algorithm.activationchannelalignment.internal.ActivationChannelAlignment;
import org.pot4j.algorithm.biascorrection.internal.BiasCorrection;
import org.pot4j.algorithm.crosslayerequalization.internal.CrossLayerEqualization;
import org.pot4j.algorithm.fastbiascorrection.internal.FastBiasCorrection;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.graph.Graph;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.model.QdqWriter;
import org.pot4j.testsupport.TestFiles;

/** DefaultQuantization with every sub-algorithm deployed: CLE, channel alignment, BiasCorrection. */
class CompositionTest {
    private static IdxDataset calibration;
    private static IdxDataset test;

    @BeforeAll
    static void data() throws Exception {
        calibration = IdxDataset.calibration();
        test = IdxDataset.test(1000);
    }

    static RealContext context(String model) {
        return new RealContext(OnnxCodec.read(TestFiles.model(model)), new CpuDevice("auto").hardwareConfig(),
                calibration, test)
                .register("MinMaxQuantization", new MinMaxQuantization())
                .register("FastBiasCorrection", new FastBiasCorrection())
                .register("BiasCorrection", new BiasCorrection())
                .register("CrossLayerEqualization", new CrossLayerEqualization())
                .register("ActivationChannelAlignment", new ActivationChannelAlignment())
                .register("DefaultQuantization", new DefaultQuantization());
    }

    /** Issue 4 acceptance 1 on 1000 test images (the 10k figure is measured with bin/pot quantize). */
    @Test
    void crossLayerEqualizationMakesCnnReluOutlierQuantizable() throws Exception {
        RealContext plain = context("cnn_relu_outlier");
        Graph fp32 = plain.model();
        plain.run("DefaultQuantization", RealContext.params(Map.of("preset", "performance", "cross_layer_equalization", false)));
        RealContext equalized = context("cnn_relu_outlier");
        equalized.run("DefaultQuantization", RealContext.params(Map.of("preset", "performance",
                "cross_layer_equalization", true)));
        double reference = plain.accuracy(fp32, null, test.size());
        double without = plain.accuracy(plain.model(), plain.plan(), test.size());
        double with = equalized.accuracy(equalized.model(), equalized.plan(), test.size());
        System.out.printf("cnn_relu_outlier DefaultQuantization performance, %d t10k images: FP32 %.4f, INT8 %.4f "
                + "(drop %.2f pts), with CLE %.4f (drop %.2f pts); steps %s%n", test.size(), reference, without,
                100 * (reference - without), with, 100 * (reference - with), equalized.reports().get("default_quantization"));
        assertTrue(reference - with <= 0.01, "drop with CLE " + (reference - with));
        assertTrue(reference - without > 0.02, "without CLE the outliers should hurt: " + (reference - without));
        assertTrue(equalized.reports().get("default_quantization").toString()
                .contains("steps=[CrossLayerEqualization, ActivationChannelAlignment, MinMaxQuantization, FastBiasCorrection]"));
    }

    @Test
    void biasCorrectionSharesTheMinMaxPass() throws Exception {
        RealContext context = new RealContext(OnnxCodec.read(TestFiles.model("cnn_relu")),
                new CpuDevice("auto").hardwareConfig(), calibration, test)
                .register("MinMaxQuantization", new MinMaxQuantization())
                .register("BiasCorrection", new BiasCorrection())
                .register("DefaultQuantization", new DefaultQuantization());
        Graph fp32 = context.model();
        context.run("DefaultQuantization", RealContext.params(Map.of("preset", "performance", "use_fast_bias", false,
                "float_stem", false)));
        assertEquals(1 + 6, context.statisticsPasses(), "one shared FP32 pass, then one QDQ pass per layer");
        @SuppressWarnings("unchecked")
        Map<String, Object> report = (Map<String, Object>) context.reports().get("bias_correction");
        assertEquals(6, ((List<?>) report.get("applied")).size(), report.toString());
        double reference = context.accuracy(fp32, null, test.size());
        double int8 = context.accuracy(context.model(), context.plan(), test.size());
        System.out.printf("cnn_relu performance + BiasCorrection, %d t10k images: FP32 %.4f, INT8 %.4f%n", test.size(),
                reference, int8);
        assertTrue(reference - int8 <= 0.005, "drop " + (reference - int8));
    }

    /**
     * cnn_relu's alignment candidates are Conv → Relu pairs whose channels all reach 0 on the calibration data: the
     * alignment moves nothing, so one pass serves it, MinMax and FastBiasCorrection, and the model is byte for byte
     * the one DefaultQuantization gives without channel alignment.
     */
    @Test
    void channelAlignmentThatMovesNothingSharesThePass() throws Exception {
        RealContext context = context("cnn_relu");
        DefaultQuantization defaultQuantization = new DefaultQuantization();
        context.setParameters(RealContext.params(Map.of("preset", "performance")).validate(defaultQuantization.parameters()));
        List<org.pot4j.api.statistics.StatisticRequest> declared = defaultQuantization.statistics(context);
        assertTrue(declared.stream().anyMatch(r -> r.aggregator() == org.pot4j.api.statistics.Aggregator.MIN
                && r.channelAxis() == 1), "the alignment's per-channel minima are declared with MinMax's requests");
        context.run("DefaultQuantization", RealContext.params(Map.of("preset", "performance")));
        assertEquals(1, context.statisticsPasses(), "one pass for channel alignment, MinMax and FastBiasCorrection");
        assertTrue(context.reports().get("activation_channel_alignment").toString().contains("aligned=[]"),
                context.reports().get("activation_channel_alignment").toString());
        assertTrue(context.reports().get("default_quantization").toString()
                .contains("steps=[ActivationChannelAlignment, MinMaxQuantization, FastBiasCorrection]"));

        RealContext without = new RealContext(OnnxCodec.read(TestFiles.model("cnn_relu")),
                new CpuDevice("auto").hardwareConfig(), calibration, test)
                .register("MinMaxQuantization", new MinMaxQuantization())
                .register("FastBiasCorrection", new FastBiasCorrection())
                .register("DefaultQuantization", new DefaultQuantization());
        without.run("DefaultQuantization", RealContext.params(Map.of("preset", "performance")));
        assertArrayEquals(OnnxCodec.write(QdqWriter.apply(without.model(), without.plan())),
                OnnxCodec.write(QdqWriter.apply(context.model(), context.plan())));
    }

    @Test
    void channelAlignmentRunsBeforeMinMaxWithItsOwnPass() throws Exception {
        RealContext context = context("mobilenet_v2_tiny");
        Graph fp32 = context.model();
        context.run("DefaultQuantization", RealContext.params(Map.of("preset", "mixed")));
        assertEquals(2, context.statisticsPasses(), "channel alignment, then MinMax + FastBiasCorrection");
        assertTrue(context.reports().get("default_quantization").toString()
                .contains("steps=[ActivationChannelAlignment, MinMaxQuantization, FastBiasCorrection]"));
        double reference = context.accuracy(fp32, null, test.size());
        double int8 = context.accuracy(context.model(), context.plan(), test.size());
        System.out.printf("mobilenet_v2_tiny mixed with channel alignment, %d t10k images: FP32 %.4f, INT8 %.4f%n",
                test.size(), reference, int8);
        assertTrue(reference - int8 <= 0.01, "drop " + (reference - int8));
    }
}
