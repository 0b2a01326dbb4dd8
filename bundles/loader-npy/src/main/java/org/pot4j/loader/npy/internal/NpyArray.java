package org.pot4j.loader.npy.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.tensor.DataType;

/**
 * One NPY array (format versions 1-3): little-endian {@code <f4 <f8 |u1 |i1 <i2 <i4 <i8 |b1}, C order.
 * {@code source} names the file (and the .npz entry) in errors, {@code field} the parameter. Its elements are either
 * in memory ({@code data}) or, for a plain .npy file, on disk ({@code file} from byte {@code fileOffset}; data null):
 * see {@link #elements(DataType)}.
 */
record NpyArray(String descr, long[] shape, ByteBuffer data, String source, FileChannel file, long fileOffset) {
    static final List<String> SUPPORTED = List.of("<f4", "<f8", "|u1", "|i1", "<i2", "<i4", "<i8", "|b1");
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    static NpyArray parse(byte[] bytes, String source, String field) {
        Header header = header(bytes, bytes.length, source, field);
        ByteBuffer data = ByteBuffer.wrap(bytes, header.dataStart, (int) header.dataBytes).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        return new NpyArray(header.descr, header.shape, data, source, null, 0);
    }

    /**
     * The array of a plain .npy file whose elements stay on disk ({@code channel}, open for the dataset's life):
     * only its header is read here.
     */
    static NpyArray onDisk(FileChannel channel, String source, String field) throws IOException {
        long length = channel.size();
        byte[] start = read(channel, (int) Math.min(length, 12));
        // a header is a few hundred bytes; a bogus length (not an NPY file) is cut short and named by header()
        int headerEnd = start.length < 12 ? start.length : headerStart(start) + Math.min(headerLength(start), 1 << 24);
        byte[] head = read(channel, (int) Math.min(length, Math.max(start.length, headerEnd)));
        Header header = header(head, length, source, field);
        return new NpyArray(header.descr, header.shape, null, source, channel, header.dataStart);
    }

    private static byte[] read(FileChannel channel, int count) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(count);
        while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) >= 0) {
            // positional reads until full or the end of the file
        }
        return java.util.Arrays.copyOf(buffer.array(), buffer.position());
    }

    private static int headerStart(byte[] start) {
        return (start[6] & 0xFF) == 1 ? 10 : 12;
    }

    private static int headerLength(byte[] start) {
        ByteBuffer buffer = ByteBuffer.wrap(start).order(ByteOrder.LITTLE_ENDIAN);
        long length = (start[6] & 0xFF) == 1 ? buffer.getShort(8) & 0xFFFF : buffer.getInt(8) & 0xFFFFFFFFL;
        return (int) Math.min(length, Integer.MAX_VALUE - 64);
    }

    /** A parsed header: where the elements start in the file and how many bytes they take. */
    private record Header(String descr, long[] shape, int dataStart, long dataBytes) {
    }

    /** {@code bytes}: the file's first bytes (at least its header, unless the file is shorter); {@code fileLength}. */
    private static Header header(byte[] bytes, long fileLength, String source, String field) {
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new InvalidInputException(field, source, "an NPY file starting with \\x93NUMPY; found "
                    + hex(Arrays.copyOf(bytes, Math.min(6, bytes.length))));
        }
        int major = bytes[6] & 0xFF;
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = buffer.getShort(8) & 0xFFFF;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw new InvalidInputException(field, source, "a complete NPY header (truncated)");
            }
            headerLength = buffer.getInt(8) & 0xFFFFFFFFL;
            headerStart = 12;
        } else {
            throw new InvalidInputException(field, source, "NPY format version 1, 2 or 3; found version " + major);
        }
        if (headerStart + headerLength > bytes.length) {
            throw new InvalidInputException(field, source, "a complete NPY header of " + headerLength + " bytes (truncated)");
        }
        String header = new String(bytes, headerStart, (int) headerLength,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, "descr", source, field);
        if (group(FORTRAN, header, "fortran_order", source, field).equals("True")) {
            throw new InvalidInputException(field, source, "C-order arrays; this one has fortran_order True"
                    + " (save it with numpy.ascontiguousarray(a) first)");
        }
        if (!SUPPORTED.contains(descr)) {
            throw new InvalidInputException(field, source, "dtype one of " + String.join(" ", SUPPORTED)
                    + " (little-endian); found '" + descr + "'");
        }
        long[] shape = parseShape(group(SHAPE, header, "shape", source, field), source, field);
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        long needed = count * itemSize(descr);
        int dataStart = (int) (headerStart + headerLength);
        long present = fileLength - (long) dataStart;
        if (present < needed) {
            throw new InvalidInputException(field, source, "a complete array: shape " + Arrays.toString(shape) + " of "
                    + descr + " needs " + needed + " data bytes but only " + present + " are present (truncated)");
        }
        if (needed > Integer.MAX_VALUE / 2) {
            throw new InvalidInputException(field, source, "arrays of at most 1 GiB; this one has " + needed + " bytes");
        }
        return new Header(descr, shape, dataStart, needed);
    }

    /** Per-sample arrays of one shape and dtype stacked along a new axis 0 (a folder of per-sample files). */
    static NpyArray stack(List<NpyArray> samples, String source, String field) {
        NpyArray first = samples.get(0);
        int size = first.data.remaining();
        ByteBuffer joined = ByteBuffer.allocate(Math.multiplyExact(size, samples.size())).order(ByteOrder.LITTLE_ENDIAN);
        for (NpyArray sample : samples) {
            sample.requireInMemory();
            if (!sample.descr.equals(first.descr) || !Arrays.equals(sample.shape, first.shape)) {
                throw new InvalidInputException(field, sample.source + ": " + sample.descr + " "
                        + Arrays.toString(sample.shape), "the dtype and shape of " + first.source + ": " + first.descr
                        + " " + Arrays.toString(first.shape));
            }
            joined.put(sample.data.duplicate());
        }
        joined.flip();
        long[] shape = new long[first.shape.length + 1];
        shape[0] = samples.size();
        System.arraycopy(first.shape, 0, shape, 1, first.shape.length);
        return new NpyArray(first.descr, shape, joined.slice().order(ByteOrder.LITTLE_ENDIAN), source, null, 0);
    }

    boolean inMemory() {
        return data != null;
    }

    private void requireInMemory() {
        if (data == null) {
            throw new IllegalStateException(source + " is read from disk on demand, not held in memory");
        }
    }

    /**
     * The elements as {@code type} (FLOAT: as {@link #toFloats()}, else {@link #typedElements()}'s array): the Java
     * array itself when the array is in memory, else an {@link NpyFileElements} that reads them when asked.
     */
    Object elements(DataType type) {
        if (data != null) {
            return type == DataType.FLOAT ? toFloats() : typedElements();
        }
        return new NpyFileElements(file, fileOffset, descr, type, source);
    }

    long count() {
        long count = 1;
        for (long dim : shape) {
            count *= dim;
        }
        return count;
    }

    boolean isInteger() {
        return descr.charAt(1) == 'i' || descr.charAt(1) == 'u';
    }

    boolean isFloat() {
        return descr.charAt(1) == 'f';
    }

    /** The element type the array is fed as: its own, but float64 as FLOAT (models take float32). */
    DataType dataType() {
        return switch (descr) {
            case "<f4", "<f8" -> DataType.FLOAT;
            case "|u1" -> DataType.UINT8;
            case "|i1" -> DataType.INT8;
            case "<i2" -> DataType.INT16;
            case "<i4" -> DataType.INT32;
            case "<i8" -> DataType.INT64;
            case "|b1" -> DataType.BOOL;
            default -> throw new IllegalStateException("unsupported dtype " + descr);
        };
    }

    /** The elements as the Java array of {@link #dataType()} (see {@code Tensor}); floats as {@link #toFloats()}. */
    Object typedElements() {
        requireInMemory();
        int n = (int) count();
        return switch (descr) {
            case "<f4", "<f8" -> toFloats();
            case "|u1", "|i1", "|b1" -> { byte[] a = new byte[n]; data.duplicate().get(a); yield a; }
            case "<i2" -> { short[] a = new short[n]; data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(a); yield a; }
            case "<i4" -> { int[] a = new int[n]; data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(a); yield a; }
            case "<i8" -> { long[] a = new long[n]; data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(a); yield a; }
            default -> throw new IllegalStateException("unsupported dtype " + descr);
        };
    }

    /** Every element as float (f8 values beyond float range become infinite and are caught as non-finite). */
    float[] toFloats() {
        requireInMemory();
        int n = (int) count();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (descr) {
                case "<f4" -> data.getFloat(i * 4);
                case "<f8" -> (float) data.getDouble(i * 8);
                default -> (float) longAt(i);
            };
        }
        return out;
    }

    long longAt(int i) {
        return switch (descr) {
            case "|u1" -> data.get(i) & 0xFF;
            case "|i1" -> data.get(i);
            case "<i2" -> data.getShort(i * 2);
            case "<i4" -> data.getInt(i * 4);
            case "<i8" -> data.getLong(i * 8);
            case "|b1" -> data.get(i);
            default -> throw new IllegalStateException(descr + " is not an integer dtype");
        };
    }

    private static int itemSize(String descr) {
        return Integer.parseInt(descr.substring(2));
    }

    private static long[] parseShape(String text, String source, String field) {
        List<Long> dims = new ArrayList<>();
        for (String part : text.split(",")) {
            String trimmed = part.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            try {
                long dim = Long.parseLong(trimmed.endsWith("L") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
                if (dim < 0) {
                    throw new NumberFormatException();
                }
                dims.add(dim);
            } catch (NumberFormatException e) {
                throw new InvalidInputException(field, source, "an NPY header with a shape of non-negative integers; found ("
                        + text + ")");
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    private static String group(Pattern pattern, String header, String key, String source, String field) {
        Matcher matcher = pattern.matcher(header);
        if (!matcher.find()) {
            throw new InvalidInputException(field, source, "an NPY header with '" + key + "'; header is " + header.trim());
        }
        return matcher.group(1);
    }

    private static String hex(byte[] bytes) {
        StringBuilder text = new StringBuilder();
        for (byte b : bytes) {
            text.append(String.format("%02x ", b & 0xFF));
        }
        return text.toString().trim();
    }
}
