package org.pot4j.device.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.OperationConfig;
import org.pot4j.api.device.QuantizationSpace;
import org.pot4j.api.device.RuntimeOp;
import org.pot4j.config.support.JsonErrors;

/**
 * Reads a hardware configuration in POT's shape ({@code configs/hardware/*.json}):
 * <pre>
 * { "target_device": "CPU",
 *   "config": { "quantization": { "q8_a": {"bits": 8, "mode": ["symmetric", "asymmetric"], "granularity": "pertensor"}, ... } },
 *   "operations": [
 *     { "type": "Conv", "quantization": {"activations": "q8_a", "weights": ["q8_w_ch", "q8_w"]},
 *       "inputs": {"activations": [0], "weights": [1]} },          // pot4j: ONNX input indices
 *     { "type": "Add", "attributes": {"scales": "unified"}, "quantization": {"activations": "q8_a"}, "inputs": {"activations": [0, 1]} },
 *     { "type": "Concat", "attributes": {"scales": "unified"} },    // no quantization: agnostic
 *     { "type": "MaxPool" } ] }
 * </pre>
 * pot4j: an operation may say what the device's runtime does with it once quantized ({@link RuntimeOp}):
 * {@code "runtime": {"kernel": "QLinearConv"}} (an integer kernel that needs its output quantized),
 * {@code {"kernel": "QLinearMatMul", "float_output_kernel": "MatMulIntegerToFloat"}},
 * {@code {"kernel": "QLinearAdd", "inputs": "from_integer_kernels"}} (worth it only inside an integer chain),
 * {@code {"kernel": "QLinearConcat", "inputs": "all_from_integer_kernels"}} (every input is an activation),
 * {@code "runtime": "int8_data_movement"} (runs on the integers, the Q/DQ pair around it dropped) or
 * {@code "runtime": "fused_activation"} (removed before a QuantizeLinear, e.g. Relu).
 * A space whose {@code mode} is a list expands to one space per mode, in order. Attributes other
 * than {@code scales} are node attributes the op must match (e.g. depthwise {@code group}).
 * Read with Jackson (comments allowed, as in POT's files); syntax errors are worded by
 * {@link JsonErrors} (line, column, JSON path), as for job files.
 */
public final class HardwareConfigParser {
    /** Whole numbers as Long: attributes are compared with ONNX's (long) integer attributes. */
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private HardwareConfigParser() {
    }

    /** Loads {@code resource} through {@code owner}'s class loader (the device bundle's). */
    public static HardwareConfig load(Class<?> owner, String resource, Map<String, String> properties) {
        try (InputStream in = owner.getResourceAsStream(resource)) {
            if (in == null) {
                throw new Pot4jException("DEVICE_CONFIG", "hardware config " + resource + " missing from "
                        + owner.getName() + "'s bundle");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource, properties);
        } catch (IOException e) {
            throw new Pot4jException("DEVICE_CONFIG", "cannot read hardware config " + resource + ": " + e.getMessage(), e);
        }
    }

    public static HardwareConfig parse(String json, String source, Map<String, String> properties) {
        Object document;
        try {
            document = JSON.readValue(json, Object.class);
        } catch (JsonProcessingException e) {
            throw new Pot4jException("DEVICE_CONFIG", "bad hardware config " + source + ": "
                    + JsonErrors.describe(e).message(), e);
        }
        try {
            Map<String, Object> root = map(document, "root");
            String device = (String) root.get("target_device");
            if (device == null) {
                throw new IllegalArgumentException("target_device is missing");
            }
            Map<String, List<QuantizationSpace>> spaces = spaces(root);
            List<OperationConfig> operations = new ArrayList<>();
            List<String> agnostic = new ArrayList<>();
            Map<String, RuntimeOp> runtime = new LinkedHashMap<>();
            List<Object> ops = list(root.get("operations"), "operations");
            for (int i = 0; i < ops.size(); i++) {
                Map<String, Object> op = map(ops.get(i), "operations[" + i + "]");
                String type = (String) op.get("type");
                if (type == null) {
                    throw new IllegalArgumentException("operations[" + i + "].type is missing");
                }
                if (op.containsKey("runtime")) {
                    RuntimeOp previous = runtime.put(type, runtime(op.get("runtime"), type));
                    if (previous != null && !previous.equals(runtime.get(type))) {
                        throw new IllegalArgumentException(type + ".runtime differs between two entries of " + type);
                    }
                }
                Map<String, Object> attributes = new LinkedHashMap<>(
                        op.containsKey("attributes") ? map(op.get("attributes"), type + ".attributes") : Map.of());
                boolean unified = "unified".equals(attributes.remove("scales"));
                Map<String, Object> quantization = op.containsKey("quantization")
                        ? map(op.get("quantization"), type + ".quantization") : Map.of();
                List<QuantizationSpace> activations = resolve(quantization.get("activations"), spaces, type);
                List<QuantizationSpace> weights = resolve(quantization.get("weights"), spaces, type);
                if (activations.isEmpty() && weights.isEmpty()) {
                    agnostic.add(type);
                    if (!unified) {
                        continue;
                    }
                }
                Map<String, Object> inputs = op.containsKey("inputs") ? map(op.get("inputs"), type + ".inputs") : Map.of();
                List<Integer> activationInputs = indices(inputs.get("activations"), activations.isEmpty() ? List.of() : List.of(0));
                List<Integer> weightInputs = indices(inputs.get("weights"), weights.isEmpty() ? List.of() : List.of(1));
                operations.add(new OperationConfig(type, attributes, activationInputs, weightInputs, activations, weights,
                        unified));
            }
            return new HardwareConfig(device, operations, agnostic, properties, runtime);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new Pot4jException("DEVICE_CONFIG", "bad hardware config " + source + ": " + e.getMessage(), e);
        }
    }

    private static RuntimeOp runtime(Object value, String type) {
        String where = type + ".runtime";
        if (value instanceof String role) {
            return switch (role) {
                case "int8_data_movement" -> new RuntimeOp(RuntimeOp.Role.INT8_DATA_MOVEMENT, "", "", false, false);
                case "fused_activation" -> new RuntimeOp(RuntimeOp.Role.FUSED_ACTIVATION, "", "", false, false);
                default -> throw new IllegalArgumentException(where + " must be int8_data_movement, fused_activation or"
                        + " an object with a kernel, got '" + role + "'");
            };
        }
        Map<String, Object> kernel = map(value, where);
        for (String key : kernel.keySet()) {
            if (!List.of("kernel", "float_output_kernel", "inputs").contains(key)) {
                throw new IllegalArgumentException(where + " has unknown key '" + key
                        + "'; allowed: kernel, float_output_kernel, inputs");
            }
        }
        if (!(kernel.get("kernel") instanceof String name) || name.isEmpty()) {
            throw new IllegalArgumentException(where + ".kernel must name the integer kernel, got " + kernel.get("kernel"));
        }
        Object floatOutput = kernel.getOrDefault("float_output_kernel", "");
        if (!(floatOutput instanceof String floatOutputKernel)) {
            throw new IllegalArgumentException(where + ".float_output_kernel must be a string, got " + floatOutput);
        }
        Object inputs = kernel.getOrDefault("inputs", "any");
        if (!List.of("any", "from_integer_kernels", "all_from_integer_kernels").contains(inputs)) {
            throw new IllegalArgumentException(where + ".inputs must be any, from_integer_kernels or"
                    + " all_from_integer_kernels, got '" + inputs + "'");
        }
        return new RuntimeOp(RuntimeOp.Role.INTEGER_KERNEL, name, floatOutputKernel, !"any".equals(inputs),
                "all_from_integer_kernels".equals(inputs));
    }

    private static Map<String, List<QuantizationSpace>> spaces(Map<String, Object> root) {
        Map<String, List<QuantizationSpace>> result = new LinkedHashMap<>();
        Map<String, Object> config = map(root.get("config"), "config");
        Map<String, Object> quantization = map(config.get("quantization"), "config.quantization");
        quantization.forEach((name, value) -> {
            Map<String, Object> space = map(value, "config.quantization." + name);
            int bits = ((Number) space.get("bits")).intValue();
            String granularity = (String) space.getOrDefault("granularity", "pertensor");
            Long low = space.get("level_low") == null ? null : ((Number) space.get("level_low")).longValue();
            Long high = space.get("level_high") == null ? null : ((Number) space.get("level_high")).longValue();
            Object mode = space.get("mode");
            List<QuantizationSpace> expanded = new ArrayList<>();
            for (Object m : mode instanceof List<?> modes ? modes : List.of(mode)) {
                if (!"symmetric".equals(m) && !"asymmetric".equals(m)) {
                    throw new IllegalArgumentException("config.quantization." + name + ".mode must be symmetric or asymmetric, got " + m);
                }
                if (!"pertensor".equals(granularity) && !"perchannel".equals(granularity)) {
                    throw new IllegalArgumentException("config.quantization." + name + ".granularity must be pertensor or perchannel");
                }
                expanded.add(new QuantizationSpace(bits, (String) m, granularity, low, high));
            }
            result.put(name, expanded);
        });
        return result;
    }

    private static List<QuantizationSpace> resolve(Object names, Map<String, List<QuantizationSpace>> spaces, String op) {
        if (names == null) {
            return List.of();
        }
        List<QuantizationSpace> result = new ArrayList<>();
        for (Object name : names instanceof List<?> list ? list : List.of(names)) {
            List<QuantizationSpace> space = spaces.get(String.valueOf(name));
            if (space == null) {
                throw new IllegalArgumentException(op + " refers to unknown quantization space '" + name + "'");
            }
            result.addAll(space);
        }
        return result;
    }

    private static List<Integer> indices(Object value, List<Integer> defaults) {
        if (value == null) {
            return defaults;
        }
        return list(value, "inputs").stream().map(v -> ((Number) v).intValue()).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value, String where) {
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value, String where) {
        if (!(value instanceof List)) {
            throw new IllegalArgumentException(where + " must be a list");
        }
        return (List<Object>) value;
    }
}
