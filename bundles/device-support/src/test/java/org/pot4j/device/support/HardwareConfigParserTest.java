package org.pot4j.device.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.OperationConfig;
import org.pot4j.api.device.RuntimeOp;

class HardwareConfigParserTest {

    private static final String CONFIG = """
            { // POT allows comments
              "target_device": "X",
              "config": {"quantization": {
                 "q8_a": {"bits": 8, "mode": ["symmetric", "asymmetric"], "granularity": "pertensor"},
                 "q8_w": {"bits": 8, "mode": "symmetric", "granularity": "perchannel", "level_low": -127, "level_high": 127}}},
              "operations": [
                {"type": "Conv", "quantization": {"activations": "q8_a", "weights": ["q8_w"]}, "attributes": {"group": 1}},
                {"type": "Add", "attributes": {"scales": "unified"}, "quantization": {"activations": "q8_a"}, "inputs": {"activations": [0, 1]}},
                {"type": "Concat", "attributes": {"scales": "unified"}},
                {"type": "MaxPool"}
              ]}
            """;

    @Test
    void parsesSpacesOperationsAndAgnosticOps() {
        HardwareConfig config = HardwareConfigParser.parse(CONFIG, "test", Map.of("vnni", "true"));
        assertEquals("X", config.device());
        OperationConfig conv = config.operation("Conv").orElseThrow();
        assertEquals(List.of(0), conv.activationInputs());
        assertEquals(List.of(1), conv.weightInputs());
        assertEquals(2, conv.activations().size(), "a list of modes expands to one space per mode");
        assertTrue(conv.activations().get(0).symmetric());
        assertFalse(conv.activations().get(1).symmetric());
        assertEquals(-127L, conv.weights().get(0).levelLow());
        assertTrue(conv.weights().get(0).perChannel());
        assertEquals(1L, conv.attributes().get("group"));
        OperationConfig add = config.operation("Add").orElseThrow();
        assertTrue(add.unifiedScales());
        assertEquals(List.of(0, 1), add.activationInputs());
        assertTrue(add.weightInputs().isEmpty());
        assertTrue(config.operation("Concat").orElseThrow().unifiedScales());
        assertEquals(List.of("Concat", "MaxPool"), config.agnosticOperations());
        assertEquals("true", config.properties().get("vnni"));
    }

    @Test
    void unknownSpaceIsANamedError() {
        String bad = CONFIG.replace("\"weights\": [\"q8_w\"]", "\"weights\": [\"q7_w\"]");
        Pot4jException e = assertThrows(Pot4jException.class, () -> HardwareConfigParser.parse(bad, "bad.json", null));
        assertTrue(e.getMessage().contains("q7_w") && e.getMessage().contains("bad.json"), e.getMessage());
    }

    @Test
    void brokenJsonNamesTheFileLineAndField() {
        Pot4jException e = assertThrows(Pot4jException.class,
                () -> HardwareConfigParser.parse("{\n\"target_device\": \"X\",\n\"config\": [1,}", "b.json", null));
        assertTrue(e.getMessage().startsWith("bad hardware config b.json: malformed JSON at line 3, column 14 (config[1]):"),
                e.getMessage());
        e = assertThrows(Pot4jException.class,
                () -> HardwareConfigParser.parse("{\"target_device\": \"X\"} x", "t.json", null));
        assertTrue(e.getMessage().contains("t.json") && e.getMessage().contains("after the end of the top-level object"),
                e.getMessage());
    }

    @Test
    void runtimeEntriesAreReadAndBadOnesNamed() {
        String json = CONFIG.replace("\"attributes\": {\"group\": 1}}",
                        "\"attributes\": {\"group\": 1}, \"runtime\": {\"kernel\": \"QLinearConv\"}}")
                .replace("{\"type\": \"MaxPool\"}", "{\"type\": \"MaxPool\", \"runtime\": \"int8_data_movement\"}")
                .replace("\"inputs\": {\"activations\": [0, 1]}}",
                        "\"inputs\": {\"activations\": [0, 1]}, \"runtime\": {\"kernel\": \"QLinearAdd\", \"inputs\": \"from_integer_kernels\"}}");
        HardwareConfig config = HardwareConfigParser.parse(json, "test", null);
        assertEquals(new RuntimeOp(RuntimeOp.Role.INTEGER_KERNEL, "QLinearConv", "", false, false), config.runtime().get("Conv"));
        assertTrue(config.runtime().get("Add").quantizedInputProducers());
        assertEquals(RuntimeOp.Role.INT8_DATA_MOVEMENT, config.runtime().get("MaxPool").role());
        assertTrue(HardwareConfigParser.parse(CONFIG, "test", null).runtime().isEmpty(), "no runtime entries: none");
        Pot4jException e = assertThrows(Pot4jException.class, () -> HardwareConfigParser.parse(
                json.replace("int8_data_movement", "int8_moves"), "bad.json", null));
        assertTrue(e.getMessage().contains("MaxPool.runtime") && e.getMessage().contains("'int8_moves'"), e.getMessage());
        e = assertThrows(Pot4jException.class, () -> HardwareConfigParser.parse(
                json.replace("from_integer_kernels", "quantized"), "bad.json", null));
        assertTrue(e.getMessage().contains("Add.runtime.inputs") && e.getMessage().contains("from_integer_kernels"),
                e.getMessage());
    }
}
