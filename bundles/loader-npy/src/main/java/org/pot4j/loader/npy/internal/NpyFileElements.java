package org.pot4j.loader.npy.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import org.pot4j.api.tensor.DataType;

/**
 * The elements of a plain .npy file, read from disk when a sample asks for them instead of held in memory: a
 * calibration set of 300 ImageNet images is 180 MB of floats, which the Java heap would otherwise carry (twice while
 * the file's bytes were converted) for the whole job. Each read converts exactly as {@link NpyArray#toFloats()} and
 * {@link NpyArray#typedElements()} do, so a sample is the same whether its file was read whole or not. Positional
 * reads on one channel: safe for concurrent {@code Dataset.get} calls; the page cache, not the process, holds the
 * file.
 */
final class NpyFileElements {
    private final FileChannel channel;
    private final long dataOffset;
    private final String descr;
    private final DataType type;
    private final int itemSize;
    private final String source;

    /** {@code type}: the Java array type samples are copied into (FLOAT for float and preprocessed columns). */
    NpyFileElements(FileChannel channel, long dataOffset, String descr, DataType type, String source) {
        this.channel = channel;
        this.dataOffset = dataOffset;
        this.descr = descr;
        this.type = type;
        this.itemSize = Integer.parseInt(descr.substring(2));
        this.source = source;
    }

    DataType type() {
        return type;
    }

    /** Copies {@code count} elements from element {@code from} of the file into {@code target[targetPos ...]}. */
    void copy(long from, Object target, int targetPos, int count) {
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(count, itemSize)).order(ByteOrder.LITTLE_ENDIAN);
        long position = dataOffset + from * itemSize;
        try {
            while (bytes.hasRemaining()) {
                int read = channel.read(bytes, position + bytes.position());
                if (read < 0) {
                    throw new IOException(source + " ended at byte " + (position + bytes.position())
                            + " (the file changed after it was opened)");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + source + ": " + e.getMessage(), e);
        }
        bytes.flip();
        switch (type) {
            case FLOAT -> {
                float[] out = (float[]) target;
                for (int i = 0; i < count; i++) {
                    out[targetPos + i] = switch (descr) {
                        case "<f4" -> bytes.getFloat(i * 4);
                        case "<f8" -> (float) bytes.getDouble(i * 8);
                        default -> (float) longAt(bytes, i);
                    };
                }
            }
            case UINT8, INT8, BOOL -> bytes.get((byte[]) target, targetPos, count);
            case INT16 -> bytes.asShortBuffer().get((short[]) target, targetPos, count);
            case INT32 -> bytes.asIntBuffer().get((int[]) target, targetPos, count);
            case INT64 -> bytes.asLongBuffer().get((long[]) target, targetPos, count);
            default -> throw new IllegalStateException("unsupported element type " + type);
        }
    }

    private long longAt(ByteBuffer bytes, int i) {
        return switch (descr) {
            case "|u1" -> bytes.get(i) & 0xFF;
            case "|i1", "|b1" -> bytes.get(i);
            case "<i2" -> bytes.getShort(i * 2);
            case "<i4" -> bytes.getInt(i * 4);
            case "<i8" -> bytes.getLong(i * 8);
            default -> throw new IllegalStateException(descr + " is not an integer dtype");
        };
    }
}
