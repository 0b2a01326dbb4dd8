package org.pot4j.model.internal;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/** TensorProto ↔ Tensor. Reads raw_data and every typed field; writes raw_data (strings: string_data). */
public final class TensorCodec {

    private TensorCodec() {
    }

    /** Decodes a tensor; {@code where} names it in error messages. */
    public static Tensor read(TensorProto proto, String where) {
        if (proto.hasSegment()) {
            throw new ModelFormatException(where + ": segmented tensors are not supported");
        }
        if (proto.getExternalDataCount() > 0 || proto.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            throw new ModelFormatException(where + ": tensor data is stored in an external file; read the model from"
                    + " its .onnx file, next to which its side files are found");
        }
        DataType type;
        try {
            type = DataType.fromOnnx(proto.getDataType());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(where + ": unsupported tensor data type " + proto.getDataType()
                    + " (" + dataTypeName(proto.getDataType()) + "); supported: " + java.util.Arrays.toString(DataType.values()));
        }
        long[] shape = proto.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count;
        try {
            count = Tensor.elementCount(shape);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(where + ": " + e.getMessage());
        }
        if (count > Integer.MAX_VALUE) {
            throw new ModelFormatException(where + ": " + count + " elements exceed the supported 2^31-1");
        }
        int n = (int) count;
        Object data;
        if (type == DataType.STRING) {
            List<ByteString> strings = proto.getStringDataList();
            String[] values = new String[strings.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = strings.get(i).toString(StandardCharsets.UTF_8);
            }
            data = values;
        } else if (proto.hasRawData()) {
            data = fromRaw(type, proto.getRawData(), n, where);
        } else {
            data = fromTyped(type, proto, where);
        }
        try {
            return new Tensor(type, shape, data);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(where + ": " + e.getMessage());
        }
    }

    private static Object fromRaw(DataType type, ByteString raw, int n, String where) {
        long expectedBytes = (long) n * type.byteSize();
        if (raw.size() != expectedBytes) {
            throw new ModelFormatException(where + ": raw_data has " + raw.size() + " bytes, " + type + " shape needs "
                    + expectedBytes);
        }
        ByteBuffer buffer = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        return switch (type) {
            case FLOAT -> { float[] v = new float[n]; buffer.asFloatBuffer().get(v); yield v; }
            case DOUBLE -> { double[] v = new double[n]; buffer.asDoubleBuffer().get(v); yield v; }
            case INT8, UINT8, BOOL -> { byte[] v = new byte[n]; buffer.get(v); yield v; }
            case INT16, UINT16, FLOAT16, BFLOAT16 -> { short[] v = new short[n]; buffer.asShortBuffer().get(v); yield v; }
            case INT32, UINT32 -> { int[] v = new int[n]; buffer.asIntBuffer().get(v); yield v; }
            case INT64, UINT64 -> { long[] v = new long[n]; buffer.asLongBuffer().get(v); yield v; }
            default -> throw new ModelFormatException(where + ": raw_data for " + type + " is not supported");
        };
    }

    private static Object fromTyped(DataType type, TensorProto proto, String where) {
        return switch (type) {
            case FLOAT -> {
                List<Float> list = proto.getFloatDataList();
                float[] v = new float[list.size()];
                for (int i = 0; i < v.length; i++) v[i] = list.get(i);
                yield v;
            }
            case DOUBLE -> proto.getDoubleDataList().stream().mapToDouble(Double::doubleValue).toArray();
            case INT64 -> proto.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
            case UINT32 -> {
                List<Long> list = proto.getUint64DataList();
                int[] v = new int[list.size()];
                for (int i = 0; i < v.length; i++) v[i] = (int) (long) list.get(i);
                yield v;
            }
            case UINT64 -> proto.getUint64DataList().stream().mapToLong(Long::longValue).toArray();
            case INT32 -> proto.getInt32DataList().stream().mapToInt(Integer::intValue).toArray();
            // int32_data carries the narrow types, one element per int (float16/bfloat16 as their bit pattern)
            case INT8, UINT8, BOOL -> {
                List<Integer> list = proto.getInt32DataList();
                byte[] v = new byte[list.size()];
                for (int i = 0; i < v.length; i++) v[i] = (byte) (int) list.get(i);
                yield v;
            }
            case INT16, UINT16, FLOAT16, BFLOAT16 -> {
                List<Integer> list = proto.getInt32DataList();
                short[] v = new short[list.size()];
                for (int i = 0; i < v.length; i++) v[i] = (short) (int) list.get(i);
                yield v;
            }
            default -> throw new ModelFormatException(where + ": typed data for " + type + " is not supported");
        };
    }

    /** Encodes a tensor as raw_data (little-endian), strings as string_data. */
    public static TensorProto write(Tensor tensor, String name) {
        TensorProto.Builder builder = TensorProto.newBuilder().setDataType(tensor.type().onnxCode());
        for (long dim : tensor.shape()) {
            builder.addDims(dim);
        }
        if (name != null && !name.isEmpty()) {
            builder.setName(name);
        }
        if (tensor.type() == DataType.STRING) {
            for (Object value : (Object[]) tensor.data()) {
                builder.addStringData(ByteString.copyFrom(String.valueOf(value), StandardCharsets.UTF_8));
            }
            return builder.build();
        }
        // the buffer is wrapped, not copied: a model's weights are encoded once, not twice, when it is written
        return builder.setRawData(UnsafeByteOperations.unsafeWrap(littleEndian(tensor, name))).build();
    }

    /** The tensor's elements as little-endian bytes (raw_data's and external data's layout); not for strings. */
    public static byte[] littleEndian(Tensor tensor, String name) {
        int n = tensor.size();
        ByteBuffer buffer = ByteBuffer.allocate(Math.multiplyExact(n, tensor.type().byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        switch (tensor.type()) {
            case FLOAT -> buffer.asFloatBuffer().put((float[]) tensor.data());
            case DOUBLE -> buffer.asDoubleBuffer().put((double[]) tensor.data());
            case INT8, UINT8, BOOL -> buffer.put((byte[]) tensor.data());
            case INT16, UINT16, FLOAT16, BFLOAT16 -> buffer.asShortBuffer().put((short[]) tensor.data());
            case INT32, UINT32 -> buffer.asIntBuffer().put((int[]) tensor.data());
            case INT64, UINT64 -> buffer.asLongBuffer().put((long[]) tensor.data());
            default -> throw new IllegalArgumentException("cannot encode " + tensor.type() + " tensor " + name);
        }
        return buffer.array();
    }

    static String dataTypeName(int code) {
        TensorProto.DataType type = TensorProto.DataType.forNumber(code);
        return type == null ? "unknown" : type.name();
    }
}
