package org.pot4j.device.npu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.OperationConfig;
import org.pot4j.api.device.QuantizationSpace;

class NpuDeviceTest {

    @Test
    void hardwareConfigMatchesTheDevice() {
        NpuDevice device = new NpuDevice();
        HardwareConfig config = device.hardwareConfig();
        assertEquals("onnxruntime", device.backend());
        OperationConfig conv = config.operation("Conv").orElseThrow();
        assertEquals(List.of(0), conv.activationInputs());
        assertEquals(List.of(1), conv.weightInputs());
        assertTrue(config.agnosticOperations().contains("MaxPool"));
        assertEquals("NPU", config.device());
        for (OperationConfig op : config.operations()) {
            assertTrue(op.activations().stream().allMatch(s -> !s.symmetric() && !s.perChannel()), op.opType());
            assertTrue(op.weights().stream().allMatch(s -> s.symmetric() && s.perChannel()), op.opType());
        }
        assertTrue(config.operation("Add").orElseThrow().unifiedScales());
        assertTrue(config.operation("Mul").orElseThrow().unifiedScales());
    }
}
