package org.pot4j.algorithm.defaultquantization.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pot4j.algorithm.activationchannelalignment.internal.ActivationChannelAlignment;
import org.pot4j.algorithm.crosslayerequalization.internal.CrossLayerEqualization;
import org.pot4j.algorithm.fastbiascorrection.internal.FastBiasCorrection;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.graph.Graph;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/**
 * Issue 14, defaults that survive outlier channels: {@code cross_layer_equalization} defaults to {@code auto}, which
 * equalizes only lopsided layer pairs. The outlier variants (function-preserving rescalings of cnn_relu and
 * mobilenet_v2_tiny) keep their accuracy with default settings; the original models are not touched at all.
 * DefaultQuantization runs as the distribution deploys it (with ActivationChannelAlignment), preset performance.
 */
class EqualizationAutoTest {
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
                .register("ActivationChannelAlignment", new ActivationChannelAlignment())
                .register("CrossLayerEqualization", new CrossLayerEqualization())
                .register("DefaultQuantization", new DefaultQuantization());
    }

    private record Run(RealContext context, double fp32, double int8) {
    }

    private static Run quantize(String model, Map<String, Object> params) throws Exception {
        RealContext context = context(model);
        Graph fp32Model = context.model();
        context.run("DefaultQuantization", RealContext.params(params));
        double fp32 = context.accuracy(fp32Model, null, test.size());
        double int8 = context.accuracy(context.model(), context.plan(), test.size());
        System.out.printf("%-26s %-55s FP32 %.4f INT8 %.4f drop %5.2f pts, %d statistics passes%n", model, params,
                fp32, int8, 100 * (fp32 - int8), context.statisticsPasses());
        return new Run(context, fp32, int8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_relu_outlier", "mobilenet_v2_tiny_outlier"})
    void outlierModelsKeepTheirAccuracyWithDefaultSettings(String model) throws Exception {
        Run without = quantize(model, Map.of("preset", "performance", "cross_layer_equalization", false));
        Run auto = quantize(model, Map.of("preset", "performance"));
        assertTrue(auto.fp32() - auto.int8() <= 0.01, "default settings drop " + (auto.fp32() - auto.int8()));
        assertTrue(without.fp32() - without.int8() > 0.05, "the model is built to break without equalization: "
                + (without.fp32() - without.int8()));
        @SuppressWarnings("unchecked")
        Map<String, Object> report = (Map<String, Object>) auto.context().reports().get("cross_layer_equalization");
        List<?> pairs = (List<?>) report.get("pairs");
        assertEquals(2, pairs.size(), "the two rescaled pairs, and only those: " + report);
        for (Object pair : pairs) {
            assertTrue(((Number) ((Map<?, ?>) pair).get("range_spread")).doubleValue() > DefaultQuantization.AUTO_SPREAD);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_relu", "mobilenet_v2_tiny"})
    void balancedModelsAreNotTouchedAndKeepOneStatisticsPass(String model) throws Exception {
        Run without = quantize(model, Map.of("preset", "performance", "cross_layer_equalization", false));
        Run auto = quantize(model, Map.of("preset", "performance"));
        assertEquals(without.int8(), auto.int8(), "the same model as without equalization");
        assertEquals(without.context().plan().quantizedNodes(), auto.context().plan().quantizedNodes());
        assertEquals(without.context().statisticsPasses(), auto.context().statisticsPasses());
        @SuppressWarnings("unchecked")
        Map<String, Object> report = (Map<String, Object>) auto.context().reports().get("cross_layer_equalization");
        assertTrue(((List<?>) report.get("pairs")).isEmpty(), report.toString());
        assertTrue(((List<?>) report.get("not_equalized")).toString().contains("not above threshold"));
        assertFalse(auto.context().reports().get("default_quantization").toString().contains("CrossLayerEqualization"));
    }

    @Test
    void anyOtherValueIsNamed() {
        RealContext context = context("cnn_relu");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> context.run("DefaultQuantization",
                RealContext.params(Map.of("cross_layer_equalization", "sometimes"))));
        assertTrue(e.getMessage().contains("cross_layer_equalization") && e.getMessage().contains("sometimes")
                && e.getMessage().contains("auto"), e.getMessage());
    }
}
