package org.pot4j.model.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/**
 * A numeric tensor's elements to and from a file as little-endian bytes (ONNX raw data's layout), a megabyte at a
 * time: a weight of a model with external data goes between the file and its Java array without a byte[] copy of
 * the whole tensor (which could not exceed 2 GB) or of the model.
 */
final class TensorBytes {
    private static final int CHUNK_BYTES = 1 << 20;

    private TensorBytes() {
    }

    /** {@code count} elements of {@code type} from {@code offset} of {@code in}, as {@link Tensor} holds them. */
    static Object read(FileChannel in, long offset, DataType type, int count) throws IOException {
        Object data = newArray(type, count);
        int size = type.byteSize();
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = CHUNK_BYTES / size;
        long position = offset;
        for (int from = 0; from < count; from += perChunk) {
            int n = Math.min(perChunk, count - from);
            chunk.clear().limit(n * size);
            while (chunk.hasRemaining()) {
                if (in.read(chunk, position + chunk.position()) < 0) {
                    throw new EOFException("the file ends at byte " + (position + chunk.position()));
                }
            }
            position += (long) n * size;
            chunk.flip();
            switch (type) {
                case FLOAT -> chunk.asFloatBuffer().get((float[]) data, from, n);
                case DOUBLE -> chunk.asDoubleBuffer().get((double[]) data, from, n);
                case INT8, UINT8, BOOL -> chunk.get((byte[]) data, from, n);
                case INT16, UINT16, FLOAT16, BFLOAT16 -> chunk.asShortBuffer().get((short[]) data, from, n);
                case INT32, UINT32 -> chunk.asIntBuffer().get((int[]) data, from, n);
                case INT64, UINT64 -> chunk.asLongBuffer().get((long[]) data, from, n);
                default -> throw new IllegalArgumentException("no raw bytes for " + type);
            }
        }
        return data;
    }

    /** Writes the tensor's elements at {@code out}'s position; returns the number of bytes written. */
    static long write(java.nio.channels.WritableByteChannel out, Tensor tensor) throws IOException {
        DataType type = tensor.type();
        int size = type.byteSize();
        int count = tensor.size();
        Object data = tensor.data();
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = CHUNK_BYTES / size;
        for (int from = 0; from < count; from += perChunk) {
            int n = Math.min(perChunk, count - from);
            chunk.clear();
            switch (type) {
                case FLOAT -> chunk.asFloatBuffer().put((float[]) data, from, n);
                case DOUBLE -> chunk.asDoubleBuffer().put((double[]) data, from, n);
                case INT8, UINT8, BOOL -> chunk.put((byte[]) data, from, n);
                case INT16, UINT16, FLOAT16, BFLOAT16 -> chunk.asShortBuffer().put((short[]) data, from, n);
                case INT32, UINT32 -> chunk.asIntBuffer().put((int[]) data, from, n);
                case INT64, UINT64 -> chunk.asLongBuffer().put((long[]) data, from, n);
                default -> throw new IllegalArgumentException("no raw bytes for " + type);
            }
            chunk.position(0).limit(n * size);
            while (chunk.hasRemaining()) {
                out.write(chunk);
            }
        }
        return (long) count * size;
    }

    private static Object newArray(DataType type, int count) {
        return switch (type) {
            case FLOAT -> new float[count];
            case DOUBLE -> new double[count];
            case INT8, UINT8, BOOL -> new byte[count];
            case INT16, UINT16, FLOAT16, BFLOAT16 -> new short[count];
            case INT32, UINT32 -> new int[count];
            case INT64, UINT64 -> new long[count];
            default -> throw new IllegalArgumentException("no raw bytes for " + type);
        };
    }
}
