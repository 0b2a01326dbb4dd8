package org.pot4j.device.any.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.OperationConfig;
import org.pot4j.api.device.QuantizationSpace;

class AnyDeviceTest {

    @Test
    void hardwareConfigMatchesTheDevice() {
        AnyDevice device = new AnyDevice();
        HardwareConfig config = device.hardwareConfig();
        assertEquals("onnxruntime", device.backend());
        OperationConfig conv = config.operation("Conv").orElseThrow();
        assertEquals(List.of(0), conv.activationInputs());
        assertEquals(List.of(1), conv.weightInputs());
        assertTrue(config.agnosticOperations().contains("MaxPool"));
        assertEquals("ANY", config.device());
        assertEquals(new QuantizationSpace(8, "symmetric", "perchannel", -127L, 127L), conv.weights().get(0));
        assertTrue(conv.activations().stream().anyMatch(s -> !s.symmetric()));
        assertFalse(config.operation("Add").orElseThrow().unifiedScales());
    }
}
