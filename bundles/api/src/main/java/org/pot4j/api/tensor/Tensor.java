package org.pot4j.api.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, row-major tensor. The element array is one of {@code float[]} (FLOAT),
 * {@code double[]} (DOUBLE), {@code byte[]} (INT8, UINT8, BOOL; unsigned values stored as their
 * bit pattern), {@code short[]} (INT16, UINT16, FLOAT16, BFLOAT16), {@code int[]} (INT32, UINT32),
 * {@code long[]} (INT64, UINT64). Tensors are shared without copying: treat the array as
 * read-only unless you created it.
 */
public final class Tensor {
    private final DataType type;
    private final long[] shape;
    private final Object data;

    public Tensor(DataType type, long[] shape, Object data) {
        this.type = Objects.requireNonNull(type, "type");
        this.shape = shape.clone();
        this.data = Objects.requireNonNull(data, "data");
        long expected = elementCount(shape);
        int actual = java.lang.reflect.Array.getLength(data);
        if (expected != actual) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + expected
                    + " elements, data has " + actual);
        }
    }

    public static Tensor ofFloats(long[] shape, float[] data) {
        return new Tensor(DataType.FLOAT, shape, data);
    }

    public static Tensor ofLongs(long[] shape, long[] data) {
        return new Tensor(DataType.INT64, shape, data);
    }

    public static long elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            count *= dim;
        }
        return count;
    }

    public DataType type() {
        return type;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    public int size() {
        return java.lang.reflect.Array.getLength(data);
    }

    /** The raw element array (see the class comment for its Java type). */
    public Object data() {
        return data;
    }

    /** The FLOAT elements; throws if this is not a FLOAT tensor. */
    public float[] floats() {
        if (type != DataType.FLOAT) {
            throw new IllegalStateException("tensor is " + type + ", not FLOAT");
        }
        return (float[]) data;
    }

    /** Every element widened to float (INT64 and DOUBLE lose precision). */
    public float[] toFloats() {
        int n = size();
        float[] out = new float[n];
        switch (type) {
            case FLOAT: System.arraycopy(data, 0, out, 0, n); break;
            case DOUBLE: { double[] d = (double[]) data; for (int i = 0; i < n; i++) out[i] = (float) d[i]; break; }
            case INT8: case BOOL: { byte[] b = (byte[]) data; for (int i = 0; i < n; i++) out[i] = b[i]; break; }
            case UINT8: { byte[] b = (byte[]) data; for (int i = 0; i < n; i++) out[i] = b[i] & 0xFF; break; }
            case INT16: { short[] s = (short[]) data; for (int i = 0; i < n; i++) out[i] = s[i]; break; }
            case UINT16: { short[] s = (short[]) data; for (int i = 0; i < n; i++) out[i] = s[i] & 0xFFFF; break; }
            case INT32: { int[] v = (int[]) data; for (int i = 0; i < n; i++) out[i] = v[i]; break; }
            case UINT32: { int[] v = (int[]) data; for (int i = 0; i < n; i++) out[i] = v[i] & 0xFFFFFFFFL; break; }
            case INT64: case UINT64: { long[] v = (long[]) data; for (int i = 0; i < n; i++) out[i] = v[i]; break; }
            default: throw new IllegalStateException("cannot widen " + type + " to float");
        }
        return out;
    }

    /** Every element as a long (integer types only). */
    public long[] toLongs() {
        int n = size();
        long[] out = new long[n];
        switch (type) {
            case INT64: case UINT64: System.arraycopy(data, 0, out, 0, n); break;
            case INT32: { int[] v = (int[]) data; for (int i = 0; i < n; i++) out[i] = v[i]; break; }
            case UINT32: { int[] v = (int[]) data; for (int i = 0; i < n; i++) out[i] = v[i] & 0xFFFFFFFFL; break; }
            case INT16: { short[] v = (short[]) data; for (int i = 0; i < n; i++) out[i] = v[i]; break; }
            case UINT16: { short[] v = (short[]) data; for (int i = 0; i < n; i++) out[i] = v[i] & 0xFFFF; break; }
            case INT8: case BOOL: { byte[] v = (byte[]) data; for (int i = 0; i < n; i++) out[i] = v[i]; break; }
            case UINT8: { byte[] v = (byte[]) data; for (int i = 0; i < n; i++) out[i] = v[i] & 0xFF; break; }
            default: throw new IllegalStateException("cannot read " + type + " as integers");
        }
        return out;
    }

    /** A tensor over the same data with another shape of the same element count. */
    public Tensor reshape(long... newShape) {
        return new Tensor(type, newShape, data);
    }

    @Override
    public String toString() {
        return "Tensor[" + type + " " + Arrays.toString(shape) + "]";
    }
}
