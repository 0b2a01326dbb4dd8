package org.pot4j.algorithm.defaultquantization.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.pot4j.algorithm.fastbiascorrection.internal.FastBiasCorrection;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Graph;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/**
 * Prints DefaultQuantization wall time against the bare time of 300 FP32 inferences in the same
 * JVM (one ORT thread in both). A figure, not a gate: run with
 * {@code mvn test -pl bundles/algorithm-default -Dtest=DefaultQuantizationBenchmark -Dpot4j.benchmark=true}.
 */
@EnabledIfSystemProperty(named = "pot4j.benchmark", matches = "true")
class DefaultQuantizationBenchmark {

    @Test
    void defaultQuantizationVersusBareInference() throws Exception {
        IdxDataset calibration = IdxDataset.calibration();
        for (String name : List.of("cnn_relu", "mobilenet_v2_tiny")) {
            Graph model = OnnxCodec.read(TestFiles.model(name));
            long[] bare1 = new long[5];
            long[] bare32 = new long[5];
            long[] quantize = new long[5];
            long[] collect = new long[5];
            for (int round = 0; round < 5; round++) {
                RealContext context = new RealContext(model, new CpuDevice("true").hardwareConfig(), calibration, null)
                        .register("MinMaxQuantization", new MinMaxQuantization())
                        .register("FastBiasCorrection", new FastBiasCorrection())
                        .register("DefaultQuantization", new DefaultQuantization());
                long start = System.nanoTime();
                try (InferenceSession session = context.openSession(model, null, SessionOptions.defaults().withThreads(1))) {
                    for (int i = 0; i < 300; i++) {
                        session.run(Map.of("input", calibration.batch(i, 1)), List.of("logits"));
                    }
                }
                bare1[round] = System.nanoTime() - start;
                start = System.nanoTime();
                try (InferenceSession session = context.openSession(model, null, SessionOptions.defaults().withThreads(1))) {
                    for (int i = 0; i < 300; i += 32) {
                        session.run(Map.of("input", calibration.batch(i, Math.min(32, 300 - i))), List.of("logits"));
                    }
                }
                bare32[round] = System.nanoTime() - start;
                start = System.nanoTime();
                context.run("DefaultQuantization", RealContext.params(Map.of("preset", "performance")));
                quantize[round] = System.nanoTime() - start;
                collect[round] = context.collectNanos();
            }
            double q = median(quantize);
            System.out.printf("%-18s DefaultQuantization %.1f ms; 300 FP32 inferences: batch 1 %.1f ms (ratio %.2f), "
                    + "batch 32 %.1f ms (ratio %.2f); of which statistics pass %.1f ms; median of rounds 2-5, 1 ORT thread%n", name, q, median(bare1),
                    q / median(bare1), median(bare32), q / median(bare32), median(collect));
        }
    }

    private static double median(long[] nanos) {
        long[] warm = Arrays.copyOfRange(nanos, 1, nanos.length);
        Arrays.sort(warm);
        return (warm[warm.length / 2 - 1] + warm[warm.length / 2]) / 2e6;
    }
}
