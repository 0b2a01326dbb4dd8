package org.pot4j.algorithm.fastbiascorrection.internal;

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
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/**
 * On cnn_relu with per-tensor weights (a coarse weight grid), the per-channel mean of every
 * corrected layer's output in the QDQ model moves closer to FP32 after FastBiasCorrection,
 * measured with ONNX Runtime on the QDQ models.
 */
class RealModelFastBiasCorrectionTest {

    private static double meanShift(RealContext context, Graph fp32, Graph model, QuantizationPlan plan, String output,
                                    int[] indices) {
        StatisticRequest request = new StatisticRequest(output, Reducer.MEAN, Aggregator.MEAN, 1, 0, 0);
        float[] reference = context.collect(fp32, null, indices, List.of(request)).get(request);
        float[] quantized = context.collect(model, plan, indices, List.of(request)).get(request);
        double sum = 0;
        for (int c = 0; c < reference.length; c++) {
            sum += Math.abs(reference[c] - quantized[c]);
        }
        return sum / reference.length;
    }

    @Test
    void correctedLayersHaveOutputMeansCloserToFp32() throws Exception {
        IdxDataset calibration = IdxDataset.calibration();
        Graph fp32 = OnnxCodec.read(TestFiles.model("cnn_relu"));
        RealContext context = new RealContext(fp32, new CpuDevice("true").hardwareConfig(), calibration, null)
                .register("MinMaxQuantization", new MinMaxQuantization())
                .register("FastBiasCorrection", new FastBiasCorrection());
        context.run("MinMaxQuantization", RealContext.params(Map.of("weights", Map.of("granularity", "pertensor"),
                "float_stem", false)));  // all six layers quantized, so all six can be corrected
        Graph before = context.model();
        context.run("FastBiasCorrection", RealContext.params(Map.of("apply_for_all_nodes", true)));
        Graph after = context.model();
        int[] indices = context.calibrationIndices(300, false, 0);
        int improved = 0;
        int layers = 0;
        for (Node node : fp32.nodes()) {
            if (!node.opType().equals("Conv") && !node.opType().equals("Gemm")) {
                continue;
            }
            layers++;
            double without = meanShift(context, fp32, before, context.plan(), node.output(0), indices);
            double with = meanShift(context, fp32, after, context.plan(), node.output(0), indices);
            System.out.printf("%-12s mean |E[fp32] - E[int8]| per channel: %.5f -> %.5f%n", node.name(), without, with);
            if (with < without) {
                improved++;
            }
        }
        assertTrue(improved >= layers - 1, improved + " of " + layers + " layers improved");
    }
}
