package org.pot4j.api.device;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A device's quantization rules: the quantizable op types, the op types that pass quantizers
 * through unchanged (MaxPool, Reshape, ...), and facts detected on this machine
 * (e.g. {@code "vnni": "false"}, {@code "saturation_fix": "first_layer"}).
 */
public record HardwareConfig(String device, List<OperationConfig> operations, List<String> agnosticOperations,
                             Map<String, String> properties) {

    public HardwareConfig {
        operations = List.copyOf(operations);
        agnosticOperations = List.copyOf(agnosticOperations);
        properties = properties == null ? Map.of() : Map.copyOf(properties);
    }

    public Optional<OperationConfig> operation(String opType) {
        return operations.stream().filter(o -> o.opType().equals(opType)).findFirst();
    }
}
