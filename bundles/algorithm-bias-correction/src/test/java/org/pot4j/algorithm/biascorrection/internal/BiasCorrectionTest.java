package org.pot4j.algorithm.biascorrection.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/** BiasCorrection on real cnn_relu with a coarse (per-tensor) weight grid, measured with ONNX Runtime. */
class BiasCorrectionTest {

    private static double meanError(RealContext context, Graph fp32, Graph model, QuantizationPlan plan, Node node,
                                    int[] indices) {
        var request = BiasCorrection.outputMean(node);
        float[] reference = context.collect(fp32, null, indices, List.of(request)).get(request);
        float[] quantized = context.collect(model, plan, indices, List.of(request)).get(request);
        double sum = 0;
        for (int c = 0; c < reference.length; c++) {
            sum += Math.abs(reference[c] - quantized[c]);
        }
        return sum / reference.length;
    }

    @Test
    void everyLayerOutputMeanMatchesFp32AfterCorrection() throws Exception {
        IdxDataset test = IdxDataset.test(1000);
        Graph fp32 = OnnxCodec.read(TestFiles.model("cnn_relu"));
        RealContext context = new RealContext(fp32, new CpuDevice("auto").hardwareConfig(), IdxDataset.calibration(), test)
                .register("MinMaxQuantization", new MinMaxQuantization())
                .register("BiasCorrection", new BiasCorrection());
        context.run("MinMaxQuantization", RealContext.params(Map.of("weights", Map.of("granularity", "pertensor"),
                "float_stem", false)));  // every layer quantized, so every layer is corrected
        Graph before = context.model();
        context.run("BiasCorrection", RealContext.params(Map.of()));
        Graph after = context.model();
        @SuppressWarnings("unchecked")
        Map<String, Object> report = (Map<String, Object>) context.reports().get("bias_correction");
        assertEquals(6, ((List<?>) report.get("applied")).size(), report.toString());
        assertEquals(6, report.get("statistics_passes"), "one pass per layer on the QDQ model");
        assertEquals(1 + 1 + 6, context.statisticsPasses(), "MinMax, the declared FP32 means, one per layer");
        int[] indices = context.calibrationIndices(300, false, 0);
        for (Node node : fp32.nodes()) {
            if (!BiasCorrection.layer(fp32, node)) {
                continue;
            }
            double without = meanError(context, fp32, before, context.plan(), node, indices);
            double with = meanError(context, fp32, after, context.plan(), node, indices);
            System.out.printf("%-32s mean |E[fp32] - E[int8]| per channel: %.5f -> %.6f%n", node.name(), without, with);
            boolean outputQuantized = context.plan().pointsOf(node.name()).stream()
                    .anyMatch(org.pot4j.model.QdqWriter::isOutputPoint);
            if (outputQuantized) {
                // the measured output passes the layer's own output quantizer, whose rounding a bias shift cannot undo
                assertTrue(with < 0.25 * without, node.name() + ": " + without + " -> " + with);
            } else {
                // measured on the same samples the correction was computed on: the mean error is gone up to float sums
                assertTrue(with < 1e-3 + 0.05 * without, node.name() + ": " + without + " -> " + with);
            }
        }
        double fp32Accuracy = context.accuracy(fp32, null, test.size());
        double uncorrected = context.accuracy(before, context.plan(), test.size());
        double corrected = context.accuracy(after, context.plan(), test.size());
        System.out.printf("cnn_relu per-tensor weights, %d t10k images: FP32 %.4f, MinMax %.4f, +BiasCorrection %.4f%n",
                test.size(), fp32Accuracy, uncorrected, corrected);
        assertTrue(corrected >= uncorrected - 0.005, corrected + " vs " + uncorrected);
    }
}
