package org.pot4j.algorithm.activationchannelalignment.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/** ActivationChannelAlignment on the real shared models, run with ONNX Runtime. */
class ActivationChannelAlignmentTest {

    static float[] logits(RealContext context, Graph model, IdxDataset data, int n) {
        try (InferenceSession session = context.openSession(model, null, SessionOptions.defaults().withThreads(1))) {
            String input = model.inputs().get(0).name();
            String output = model.outputs().get(0).name();
            return session.run(Map.of(input, data.batch(0, n)), List.of(output)).get(output).toFloats();
        }
    }

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
    void preservesTheFunctionOnTheCalibrationSetOfEverySharedModel() throws Exception {
        IdxDataset calibration = IdxDataset.calibration();
        IdxDataset test = IdxDataset.test(200);
        for (String name : List.of("cnn_relu", "cnn_relu_outlier", "mobilenet_v2_tiny")) {
            RealContext context = new RealContext(OnnxCodec.read(TestFiles.model(name)),
                    new CpuDevice("true").hardwareConfig(), calibration, test)
                    .register("ActivationChannelAlignment", new ActivationChannelAlignment());
            Graph fp32 = context.model();
            context.run("ActivationChannelAlignment", RealContext.params(Map.of()));
            double onCalibration = relativeError(logits(context, fp32, calibration, 300),
                    logits(context, context.model(), calibration, 300));
            double onTest = relativeError(logits(context, fp32, test, 200), logits(context, context.model(), test, 200));
            System.out.printf("%-18s relative logit error after alignment: calibration %.2e, t10k %.2e; %s%n", name,
                    onCalibration, onTest, context.reports().get("activation_channel_alignment"));
            assertTrue(onCalibration < 1e-4, name + ": " + onCalibration);
        }
    }

    /** mobilenet's projection convs feeding the next block's 1x1 expansion directly are linear: their channels get centred. */
    @Test
    void centresLinearChannelsOfMobilenet() throws Exception {
        IdxDataset calibration = IdxDataset.calibration();
        Graph model = OnnxCodec.read(TestFiles.model("mobilenet_v2_tiny"));
        List<ActivationChannelAlignment.Pair> linear = ActivationChannelAlignment.pairs(model).stream()
                .filter(p -> p.activation() == null).toList();
        assertFalse(linear.isEmpty());
        // padded 3x3 convs never receive a shift: their border outputs would not see it
        assertTrue(ActivationChannelAlignment.pairs(model).stream().map(ActivationChannelAlignment.Pair::second)
                .allMatch(n -> n.opType().equals("Gemm") || isUnpadded(n)));
        RealContext context = new RealContext(model, new CpuDevice("true").hardwareConfig(), calibration, null)
                .register("ActivationChannelAlignment", new ActivationChannelAlignment());
        context.run("ActivationChannelAlignment", RealContext.params(Map.of()));
        int[] indices = context.calibrationIndices(300, false, 0);
        for (ActivationChannelAlignment.Pair pair : linear) {
            StatisticRequest min = ActivationChannelAlignment.minimum(pair.first());
            StatisticRequest max = ActivationChannelAlignment.maximum(pair.first());
            var after = context.collect(context.model(), null, indices, List.of(min, max));
            for (int c = 0; c < pair.channels(); c++) {
                float lo = after.get(min)[c];
                float hi = after.get(max)[c];
                assertEquals(0.0, (lo + hi) / 2, 1e-4 * Math.max(1, hi - lo), pair.first().name() + " channel " + c);
            }
        }
    }

    private static boolean isUnpadded(Node node) {
        var pads = node.attribute("pads");
        return pads == null || java.util.Arrays.stream(pads.asInts()).allMatch(p -> p == 0);
    }
}
