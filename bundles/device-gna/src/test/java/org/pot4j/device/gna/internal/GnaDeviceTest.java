package org.pot4j.device.gna.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.OperationConfig;
import org.pot4j.api.device.QuantizationSpace;

class GnaDeviceTest {

    @Test
    void hardwareConfigMatchesTheDevice() {
        GnaDevice device = new GnaDevice();
        HardwareConfig config = device.hardwareConfig();
        assertEquals("onnxruntime", device.backend());
        OperationConfig conv = config.operation("Conv").orElseThrow();
        assertEquals(List.of(0), conv.activationInputs());
        assertEquals(List.of(1), conv.weightInputs());
        assertTrue(config.agnosticOperations().contains("MaxPool"));
        assertEquals("GNA", config.device());
        for (OperationConfig op : config.operations()) {
            assertTrue(op.activations().stream().allMatch(s -> s.bits() == 16), op.opType());
        }
        assertEquals(16, conv.activations().get(0).bits());
        assertEquals(List.of(16, 8), conv.weights().stream().map(QuantizationSpace::bits).toList());
        assertEquals(-32767L, conv.weights().get(0).levelLow());
    }
}
