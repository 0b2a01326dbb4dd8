package org.pot4j.api.device;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A device's quantization rules: the quantizable op types, the op types that pass quantizers
 * through unchanged (MaxPool, Reshape, ...), facts detected on this machine
 * (e.g. {@code "vnni": "false"}, {@code "saturation_fix": "first_layer"}), and, by op type, what the device's
 * runtime does with a quantized op ({@link RuntimeOp}; empty when the device does not say: then every configured op
 * is quantized as configured).
 */
public record HardwareConfig(String device, List<OperationConfig> operations, List<String> agnosticOperations,
                             Map<String, String> properties, Map<String, RuntimeOp> runtime) {

    public HardwareConfig {
        operations = List.copyOf(operations);
        agnosticOperations = List.copyOf(agnosticOperations);
        properties = properties == null ? Map.of() : Map.copyOf(properties);
        runtime = runtime == null ? Map.of() : Map.copyOf(runtime);
    }

    /** A config without runtime knowledge. */
    public HardwareConfig(String device, List<OperationConfig> operations, List<String> agnosticOperations,
                          Map<String, String> properties) {
        this(device, operations, agnosticOperations, properties, Map.of());
    }

    public Optional<OperationConfig> operation(String opType) {
        return operations.stream().filter(o -> o.opType().equals(opType)).findFirst();
    }
}
