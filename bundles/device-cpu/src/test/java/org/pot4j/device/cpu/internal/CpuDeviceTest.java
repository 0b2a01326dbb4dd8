package org.pot4j.device.cpu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.pot4j.api.device.RuntimeOp;
import org.junit.jupiter.api.Test;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.OperationConfig;
import org.pot4j.api.device.QuantizationSpace;

class CpuDeviceTest {

    @Test
    void quantizesConvGemmMatMulWithSymmetricPerChannelWeightsFirst() {
        HardwareConfig config = new CpuDevice("true").hardwareConfig();
        assertEquals("CPU", config.device());
        for (String op : List.of("Conv", "Gemm", "MatMul")) {
            OperationConfig c = config.operation(op).orElseThrow();
            assertEquals(List.of(0), c.activationInputs(), op);
            assertEquals(List.of(1), c.weightInputs(), op);
            QuantizationSpace preferred = c.weights().get(0);
            assertEquals(new QuantizationSpace(8, "symmetric", "perchannel", -127L, 127L), preferred, op);
            assertTrue(c.activations().stream().anyMatch(QuantizationSpace::symmetric));
            assertTrue(c.activations().stream().anyMatch(s -> !s.symmetric()));
            assertTrue(c.activations().stream().noneMatch(QuantizationSpace::perChannel));
        }
        assertEquals(List.of(0, 1), config.operation("Add").orElseThrow().activationInputs());
        assertTrue(config.operation("GlobalAveragePool").isPresent());
        assertTrue(config.operation("Concat").orElseThrow().unifiedScales());
        assertTrue(config.agnosticOperations().containsAll(List.of("MaxPool", "Relu", "Reshape", "Flatten")));
        assertTrue(config.operation("MaxPool").isEmpty());
    }

    /** What ONNX Runtime's CPU QDQ transformers make of each op (its qdq_selector_action_transformer.cc). */
    @Test
    void runtimeSectionFollowsOnnxRuntimesCpuFusions() {
        Map<String, RuntimeOp> runtime = new CpuDevice("false").hardwareConfig().runtime();
        RuntimeOp conv = runtime.get("Conv");
        assertEquals("QLinearConv", conv.kernel());
        assertTrue(conv.needsQuantizedOutput() && !conv.quantizedInputProducers());
        assertEquals("MatMulIntegerToFloat", runtime.get("MatMul").floatOutputKernel());
        assertFalse(runtime.get("Gemm").needsQuantizedOutput(), "QGemm may output float");
        for (String op : List.of("Add", "Mul", "Sigmoid", "LeakyRelu", "Softmax", "AveragePool", "GlobalAveragePool")) {
            assertEquals("QLinear" + op, runtime.get(op).kernel(), op);
            assertTrue(runtime.get(op).quantizedInputProducers(), op);
        }
        assertTrue(runtime.get("Concat").allInputs());
        assertEquals(RuntimeOp.Role.FUSED_ACTIVATION, runtime.get("Relu").role());
        assertEquals(RuntimeOp.Role.INT8_DATA_MOVEMENT, runtime.get("Reshape").role());
        assertEquals(RuntimeOp.Role.INT8_DATA_MOVEMENT, runtime.get("MaxPool").role());
        // no integer kernel on ONNX Runtime's CPU: not quantized at all
        for (String op : List.of("ConvTranspose", "ReduceMean", "HardSigmoid", "DepthToSpace")) {
            assertFalse(runtime.containsKey(op), op);
            assertTrue(new CpuDevice("false").hardwareConfig().operation(op).isEmpty(), op);
        }
    }

    @Test
    void vnniPropertiesFollowTheConfiguredOrDetectedFlag() {
        HardwareConfig with = new CpuDevice("true").hardwareConfig();
        assertEquals("true", with.properties().get("vnni"));
        assertEquals("no", with.properties().get("saturation_fix"));
        HardwareConfig without = new CpuDevice("false").hardwareConfig();
        assertEquals("false", without.properties().get("vnni"));
        assertEquals("signed_inputs", without.properties().get("saturation_fix"));
        assertEquals("true", with.properties().get("float_stem"));
        assertEquals("true", without.properties().get("float_stem"));
        String detected = new CpuDevice("auto").hardwareConfig().properties().get("vnni");
        assertTrue(detected.equals("true") || detected.equals("false"));
        assertEquals("onnxruntime", new CpuDevice("auto").backend());
    }

    @Test
    void detectsVnniFromCpuInfoFlags() throws Exception {
        assertTrue(CpuFeatures.fromFlags("processor : 0\nflags\t\t: fpu sse avx2 avx512f avx512_vnni\n", "t").vnni());
        assertTrue(CpuFeatures.fromFlags("flags : fpu avx2 avx_vnni\n", "t").vnni());
        assertFalse(CpuFeatures.fromFlags("flags : fpu sse4_2 avx2 avx512f\n", "t").vnni());
        assertFalse(CpuFeatures.fromFlags("no flags here\n", "t").vnni());
        assertFalse(CpuFeatures.fromCpuInfo("aarch64", Path.of("/proc/cpuinfo")).vnni(), "unknown counts as absent");
        assertFalse(CpuFeatures.fromCpuInfo("amd64", Path.of("/nonexistent/cpuinfo")).vnni());
        Path real = Path.of("/proc/cpuinfo");
        if (Files.isReadable(real) && System.getProperty("os.arch").equals("amd64")) {
            boolean expected = Files.readString(real).matches("(?s).*\\b(avx512_vnni|avx_vnni)\\b.*");
            assertEquals(expected, CpuFeatures.detect().vnni());
        }
    }
}
