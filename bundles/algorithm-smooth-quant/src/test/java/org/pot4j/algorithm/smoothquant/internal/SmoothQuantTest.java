package org.pot4j.algorithm.smoothquant.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.graph.ValueInfo.Dim;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.device.cpu.internal.CpuDevice;

/**
 * SmoothQuant on a hand-built two-MatMul network over Fashion-MNIST pixels whose hidden layer has
 * two channels 50x larger than the rest (the next MatMul's rows for them 50x smaller, as
 * transformers' LayerNorm outliers look): the FP32 function is preserved and per-tensor activation
 * quantization loses less after smoothing. Run with ONNX Runtime on real images.
 */
class SmoothQuantTest {

    static Graph outlierNetwork() {
        Random random = new Random(7);
        float[] w1 = new float[784 * 16];
        for (int i = 0; i < w1.length; i++) {
            int column = i % 16;
            w1[i] = (float) (random.nextGaussian() * 0.05 * (column == 3 || column == 11 ? 50 : 1));
        }
        float[] w2 = new float[16 * 10];
        for (int i = 0; i < w2.length; i++) {
            int row = i / 10;
            w2[i] = (float) (random.nextGaussian() * 0.3 / (row == 3 || row == 11 ? 50 : 1));
        }
        Graph graph = new Graph();
        graph.setName("outlier_mlp");
        graph.opsets().put("", 13L);
        graph.inputs().add(new ValueInfo("input", DataType.FLOAT, List.of(Dim.symbolic("N"), Dim.of(1), Dim.of(28), Dim.of(28))));
        graph.outputs().add(new ValueInfo("logits", DataType.FLOAT, List.of(Dim.symbolic("N"), Dim.of(10))));
        graph.valueInfos().add(new ValueInfo("flat", DataType.FLOAT, List.of(Dim.symbolic("N"), Dim.of(784))));
        graph.valueInfos().add(new ValueInfo("hidden", DataType.FLOAT, List.of(Dim.symbolic("N"), Dim.of(16))));
        graph.initializers().put("w1", Tensor.ofFloats(new long[] {784, 16}, w1));
        graph.initializers().put("w2", Tensor.ofFloats(new long[] {16, 10}, w2));
        graph.nodes().add(new Node("flatten", "Flatten", List.of("input"), List.of("flat")));
        graph.nodes().add(new Node("fc1", "MatMul", List.of("flat", "w1"), List.of("hidden")));
        graph.nodes().add(new Node("fc2", "MatMul", List.of("hidden", "w2"), List.of("logits")));
        return graph;
    }

    static float[] logits(RealContext context, Graph model, QuantizationPlan plan, IdxDataset data, int n) {
        try (InferenceSession session = context.openSession(model, plan, SessionOptions.defaults().withThreads(1))) {
            return session.run(Map.of("input", data.batch(0, n)), List.of("logits")).get("logits").toFloats();
        }
    }

    static double meanSquaredError(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += (a[i] - b[i]) * (double) (a[i] - b[i]);
        }
        return sum / a.length;
    }

    @Test
    void preservesTheFunctionAndLowersQuantizationError() throws Exception {
        IdxDataset calibration = IdxDataset.calibration();
        IdxDataset test = IdxDataset.test(300);
        RealContext plain = new RealContext(outlierNetwork(), new CpuDevice("auto").hardwareConfig(), calibration, test)
                .register("MinMaxQuantization", new MinMaxQuantization());
        Graph fp32 = plain.model();
        float[] reference = logits(plain, fp32, null, test, 300);
        // 7-bit weights in every layer: on a CPU without VNNI, ONNX Runtime's u8s8 kernels saturate in any layer
        // of this MLP with 8-bit weights, which hides SmoothQuant's effect; with VNNI the result is the same
        Map<String, Object> minMax = Map.of("preset", "performance", "saturation_fix", "all");
        plain.run("MinMaxQuantization", RealContext.params(minMax));
        assertTrue(plain.plan().quantizedNodes().containsAll(List.of("fc1", "fc2")), plain.plan().quantizedNodes().toString());

        RealContext smooth = new RealContext(outlierNetwork(), new CpuDevice("auto").hardwareConfig(), calibration, test)
                .register("SmoothQuant", new SmoothQuant())
                .register("MinMaxQuantization", new MinMaxQuantization());
        smooth.run("SmoothQuant", RealContext.params(Map.of("alpha", 0.5)));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> smoothed = (List<Map<String, Object>>) ((Map<String, Object>) smooth.reports()
                .get("smooth_quant")).get("smoothed");
        assertEquals(2, smoothed.size(), smoothed.toString());
        assertEquals("fc1", smoothed.get(1).get("divided_in"), "hidden's division folds into fc1's columns");
        assertEquals("Mul", smooth.model().node((String) smoothed.get(0).get("divided_in")).orElseThrow().opType(),
                "Flatten cannot absorb a per-channel scale: a Mul is inserted");

        float[] smoothedFp32 = logits(smooth, smooth.model(), null, test, 300);
        double functionError = 0;
        double scale = 0;
        for (int i = 0; i < reference.length; i++) {
            functionError = Math.max(functionError, Math.abs(reference[i] - smoothedFp32[i]));
            scale = Math.max(scale, Math.abs(reference[i]));
        }
        assertTrue(functionError / scale < 1e-4, "relative FP32 change " + functionError / scale);

        smooth.run("MinMaxQuantization", RealContext.params(minMax));
        double without = meanSquaredError(reference, logits(plain, plain.model(), plain.plan(), test, 300));
        double with = meanSquaredError(reference, logits(smooth, smooth.model(), smooth.plan(), test, 300));
        System.out.printf("outlier MLP, MinMax performance: logit MSE vs FP32 %.5f without SmoothQuant, %.5f with (alpha 0.5);"
                + " %s%n", without, with, smoothed);
        assertTrue(with < 0.9 * without, with + " vs " + without);
    }
}
