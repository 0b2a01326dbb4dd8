package org.pot4j.algorithm.defaultquantization.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.pot4j.algorithm.fastbiascorrection.internal.FastBiasCorrection;
import org.pot4j.algorithm.minmax.internal.MinMaxQuantization;
import org.pot4j.algorithm.testkit.IdxDataset;
import org.pot4j.algorithm.testkit.RealContext;
import org.pot4j.api.graph.Graph;
import org.pot4j.device.cpu.internal.CpuDevice;
import org.pot4j.model.OnnxCodec;
import org.pot4j.testsupport.TestFiles;

/**
 * Prints FP32 / INT8 top-1 on the full 10k test set for the test models and several
 * configurations (a figure table, not a gate): a benchmark, it needs the full Fashion-MNIST test set, which the
 * repository does not hold (testdata/README.md says where to get it). Run with
 * {@code mvn test -pl bundles/algorithm-default -Dtest=AccuracyFiguresTest -Dpot4j.accuracy.figures=true -Dpot4j.data=DIR}.
 */
@EnabledIfSystemProperty(named = "pot4j.accuracy.figures", matches = "true")
@EnabledIfSystemProperty(named = "pot4j.data", matches = ".+")
class AccuracyFiguresTest {

    @Test
    void printFigures() throws Exception {
        IdxDataset calibration = IdxDataset.calibration();
        IdxDataset test = IdxDataset.test(0);
        Object[][] cases = {
                {"cnn_relu", true, Map.of("preset", "performance")},
                {"cnn_relu", false, Map.of("preset", "performance")},
                {"cnn_relu", true, Map.of("preset", "mixed")},
                {"cnn_relu", true, Map.of("preset", "performance", "use_fast_bias", true, "threshold", 0.0)},
                {"mobilenet_v2_tiny", true, Map.of("preset", "performance")},
                {"mobilenet_v2_tiny", true, Map.of("preset", "mixed")},
                {"mobilenet_v2_tiny", false, Map.of("preset", "mixed")},
                {"cnn_relu_outlier", true, Map.of("preset", "performance")},
                {"cnn_relu_outlier", true, Map.of("preset", "mixed")},
        };
        for (Object[] c : cases) {
            RealContext context = new RealContext(OnnxCodec.read(TestFiles.model((String) c[0])),
                    new CpuDevice(String.valueOf(c[1])).hardwareConfig(), calibration, test)
                    .register("MinMaxQuantization", new MinMaxQuantization())
                    .register("FastBiasCorrection", new FastBiasCorrection())
                    .register("DefaultQuantization", new DefaultQuantization());
            Graph fp32Model = context.model();
            @SuppressWarnings("unchecked")
            Map<String, Object> params = (Map<String, Object>) c[2];
            context.run("DefaultQuantization", RealContext.params(params));
            double fp32 = context.accuracy(fp32Model, null, test.size());
            double int8 = context.accuracy(context.model(), context.plan(), test.size());
            System.out.printf("%-18s vnni=%-5s %-60s FP32 %.4f  INT8 %.4f  drop %+.2f pts (n=%d)%n", c[0], c[1], params,
                    fp32, int8, 100 * (fp32 - int8), test.size());
            assertTrue(int8 > 0.5);
        }
    }
}
