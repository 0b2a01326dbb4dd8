package org.pot4j.device.gpu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.OperationConfig;
import org.pot4j.api.device.QuantizationSpace;

class GpuDeviceTest {

    @Test
    void hardwareConfigMatchesTheDevice() {
        GpuDevice device = new GpuDevice();
        HardwareConfig config = device.hardwareConfig();
        assertEquals("onnxruntime", device.backend());
        OperationConfig conv = config.operation("Conv").orElseThrow();
        assertEquals(List.of(0), conv.activationInputs());
        assertEquals(List.of(1), conv.weightInputs());
        assertTrue(config.agnosticOperations().contains("MaxPool"));
        assertEquals("GPU", config.device());
        assertEquals(new QuantizationSpace(8, "symmetric", "perchannel", -127L, 127L), conv.weights().get(0));
        assertTrue(conv.activations().stream().anyMatch(QuantizationSpace::symmetric));
    }
}
