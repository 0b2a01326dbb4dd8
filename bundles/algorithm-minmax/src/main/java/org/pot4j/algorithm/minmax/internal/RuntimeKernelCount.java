package org.pot4j.algorithm.minmax.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.model.OnnxCodec;

/**
 * What the runtime actually makes of a plan: the model with the plan opened once with graph optimizations (EXTENDED,
 * where ONNX Runtime's QDQ fusions run) and the optimized graph it saves read back, counting its integer kernels
 * (QLinear*, QGemm, MatMulInteger, ConvInteger, MatMulIntegerToFloat) and the conversions left.
 */
final class RuntimeKernelCount {

    private RuntimeKernelCount() {
    }

    static Map<String, Object> count(AlgorithmContext context, QuantizationPlan plan, Map<String, String> expected) {
        Path file = null;
        try {
            file = Files.createTempFile("pot4j-optimized-", ".onnx");
            try (InferenceSession session = context.openSession(context.model(), plan, SessionOptions.defaults()
                    .withThreads(1).withOptimization(SessionOptions.OptimizationLevel.EXTENDED, file))) {
                session.inputNames();
            }
            Graph optimized = OnnxCodec.read(file);
            Map<String, Long> kernels = new TreeMap<>();
            long quantize = 0;
            long dequantize = 0;
            for (Node node : optimized.nodes()) {
                String op = node.opType();
                if (isIntegerKernel(op)) {
                    kernels.merge(op, 1L, Long::sum);
                } else if (op.equals("QuantizeLinear")) {
                    quantize++;
                } else if (op.equals("DequantizeLinear")) {
                    dequantize++;
                }
            }
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("expected", expected.size());
            report.put("actual", kernels.values().stream().mapToLong(Long::longValue).sum());
            report.put("actual_by_kernel", kernels);
            report.put("quantize_linear_left", quantize);
            report.put("dequantize_linear_left", dequantize);
            return report;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write ONNX Runtime's optimized graph: " + e.getMessage(), e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    static boolean isIntegerKernel(String op) {
        return op.startsWith("QLinear") || op.equals("QGemm") || op.equals("MatMulInteger") || op.equals("ConvInteger")
                || op.equals("MatMulIntegerToFloat");
    }
}
