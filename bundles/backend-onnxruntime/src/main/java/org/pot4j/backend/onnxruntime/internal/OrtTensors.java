package org.pot4j.backend.onnxruntime.internal;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/** Converts api tensors to ONNX Runtime tensors (through direct native-order buffers) and back. */
final class OrtTensors {
    private static final String ORT_TYPE_PREFIX = "ONNX_TENSOR_ELEMENT_DATA_TYPE_";

    private OrtTensors() {
    }

    /** The api type of an ORT element type; both are named after ONNX's TensorProto.DataType. */
    static DataType dataType(TensorInfo.OnnxTensorType ortType) {
        String name = ortType.name().substring(ORT_TYPE_PREFIX.length());
        try {
            return DataType.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new Pot4jException("MODEL_ERROR", "tensor element type " + name + " is not supported by pot4j");
        }
    }

    static OnnxTensor toOrt(OrtEnvironment environment, String inputName, Tensor tensor) throws OrtException {
        OnnxJavaType javaType = javaType(inputName, tensor.type());
        int count = tensor.size();
        ByteBuffer buffer = ByteBuffer.allocateDirect(count * tensor.type().byteSize()).order(ByteOrder.nativeOrder());
        Object data = tensor.data();
        switch (tensor.type()) {
            case FLOAT -> buffer.asFloatBuffer().put((float[]) data);
            case DOUBLE -> buffer.asDoubleBuffer().put((double[]) data);
            case INT64 -> buffer.asLongBuffer().put((long[]) data);
            case INT32 -> buffer.asIntBuffer().put((int[]) data);
            case INT16, FLOAT16, BFLOAT16 -> buffer.asShortBuffer().put((short[]) data);
            case INT8, UINT8, BOOL -> buffer.put((byte[]) data).rewind();
            default -> throw unsupported(inputName, tensor.type());
        }
        return OnnxTensor.createTensor(environment, buffer, tensor.shape(), javaType);
    }

    static Tensor fromOrt(String name, OnnxValue value) {
        if (!(value instanceof OnnxTensor tensor)) {
            throw new Pot4jException("MODEL_ERROR", "output '" + name + "' is a " + value.getType()
                    + ", pot4j handles tensor outputs only");
        }
        TensorInfo info = tensor.getInfo();
        DataType type = dataType(info.onnxType);
        long[] shape = info.getShape();
        int count = Math.toIntExact(Tensor.elementCount(shape));
        // the typed getters copy native memory once into a heap buffer whose array we keep
        Object data = switch (type) {
            case FLOAT -> arrayOf(tensor.getFloatBuffer(), count);
            case DOUBLE -> arrayOf(tensor.getDoubleBuffer(), count);
            case INT64 -> arrayOf(tensor.getLongBuffer(), count);
            case INT32 -> arrayOf(tensor.getIntBuffer(), count);
            case INT16, FLOAT16, BFLOAT16 -> arrayOf(tensor.getShortBuffer(), count);
            case INT8, UINT8, BOOL -> arrayOf(tensor.getByteBuffer(), count);
            default -> fromRawBytes(name, tensor, type, count);
        };
        return new Tensor(type, shape, data);
    }

    /** Element types ORT Java has no typed getter for (UINT16, UINT32, UINT64): read the raw native-order bytes. */
    private static Object fromRawBytes(String name, OnnxTensor tensor, DataType type, int count) {
        ByteBuffer raw = tensor.getByteBuffer();
        if (raw == null) {
            throw new Pot4jException("MODEL_ERROR", "output '" + name + "' of type " + type + " cannot be read as numbers");
        }
        raw.order(ByteOrder.nativeOrder()).rewind();
        return switch (type) {
            case UINT64 -> { long[] a = new long[count]; raw.asLongBuffer().get(a); yield a; }
            case UINT32 -> { int[] a = new int[count]; raw.asIntBuffer().get(a); yield a; }
            case UINT16 -> { short[] a = new short[count]; raw.asShortBuffer().get(a); yield a; }
            default -> throw new Pot4jException("MODEL_ERROR", "output '" + name + "' has unsupported type " + type);
        };
    }

    private static Object arrayOf(Buffer buffer, int count) {
        if (buffer == null) {
            throw new Pot4jException("INFERENCE_ERROR", "ONNX Runtime returned no data for a tensor of " + count + " elements");
        }
        if (buffer.hasArray() && buffer.arrayOffset() == 0 && java.lang.reflect.Array.getLength(buffer.array()) == count) {
            return buffer.array();
        }
        buffer.rewind();
        if (buffer instanceof FloatBuffer b) { float[] a = new float[count]; b.get(a); return a; }
        if (buffer instanceof DoubleBuffer b) { double[] a = new double[count]; b.get(a); return a; }
        if (buffer instanceof LongBuffer b) { long[] a = new long[count]; b.get(a); return a; }
        if (buffer instanceof IntBuffer b) { int[] a = new int[count]; b.get(a); return a; }
        if (buffer instanceof ShortBuffer b) { short[] a = new short[count]; b.get(a); return a; }
        ByteBuffer bytes = (ByteBuffer) buffer;
        byte[] a = new byte[count];
        bytes.get(a);
        return a;
    }

    private static OnnxJavaType javaType(String inputName, DataType type) {
        return switch (type) {
            case FLOAT -> OnnxJavaType.FLOAT;
            case DOUBLE -> OnnxJavaType.DOUBLE;
            case INT64 -> OnnxJavaType.INT64;
            case INT32 -> OnnxJavaType.INT32;
            case INT16 -> OnnxJavaType.INT16;
            case INT8 -> OnnxJavaType.INT8;
            case UINT8 -> OnnxJavaType.UINT8;
            case BOOL -> OnnxJavaType.BOOL;
            case FLOAT16 -> OnnxJavaType.FLOAT16;
            case BFLOAT16 -> OnnxJavaType.BFLOAT16;
            default -> throw unsupported(inputName, type);
        };
    }

    private static InvalidInputException unsupported(String inputName, DataType type) {
        return new InvalidInputException("inputs." + inputName, type,
                "ONNX Runtime Java accepts FLOAT, DOUBLE, INT64, INT32, INT16, INT8, UINT8, BOOL, FLOAT16, BFLOAT16");
    }

    /** "[N, 1, 28, 28]": fixed sizes as numbers, symbolic ones by name ("?" when unnamed). */
    static String describeShape(TensorInfo info) {
        long[] shape = info.getShape();
        String[] names = info.getDimensionNames();
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                text.append(", ");
            }
            if (shape[i] >= 0) {
                text.append(shape[i]);
            } else {
                String dimName = names != null && i < names.length ? names[i] : null;
                text.append(dimName == null || dimName.isEmpty() ? "?" : dimName);
            }
        }
        return text.append(']').toString();
    }

    static String describe(Tensor tensor) {
        return tensor.type() + " " + Arrays.toString(tensor.shape());
    }
}
