package org.pot4j.api.device;

/**
 * What the device's runtime does with one op type in a QDQ model: fuse it with the DequantizeLinear before it and
 * the QuantizeLinear after it into an integer kernel ({@link Role#INTEGER_KERNEL}, e.g. ONNX Runtime's QLinearConv),
 * run it on the integers unchanged, dropping the DequantizeLinear/QuantizeLinear pair around it
 * ({@link Role#INT8_DATA_MOVEMENT}: Reshape, Transpose, MaxPool ...), or remove it when a QuantizeLinear follows
 * ({@link Role#FUSED_ACTIVATION}: Relu, Clip, folded into the quantizer's range).
 *
 * @param kernel                 the integer kernel's name (e.g. "QLinearConv"); empty for the other roles
 * @param floatOutputKernel      the kernel when the output is not quantized (e.g. "MatMulIntegerToFloat"), or empty:
 *                               then an unquantized output leaves the op in float
 * @param quantizedInputProducers the kernel pays only when every activation input comes from an integer kernel
 *                               (element-wise ops, pooling: a QuantizeLinear in front of them costs what they save)
 * @param allInputs              every input is an activation input (variadic ops such as Concat)
 */
public record RuntimeOp(Role role, String kernel, String floatOutputKernel, boolean quantizedInputProducers,
                        boolean allInputs) {

    public enum Role { INTEGER_KERNEL, INT8_DATA_MOVEMENT, FUSED_ACTIVATION }

    public RuntimeOp {
        kernel = kernel == null ? "" : kernel;
        floatOutputKernel = floatOutputKernel == null ? "" : floatOutputKernel;
    }

    /** Whether the op runs as an integer kernel only when its output goes through a QuantizeLinear. */
    public boolean needsQuantizedOutput() {
        return role == Role.INTEGER_KERNEL && floatOutputKernel.isEmpty();
    }
}
