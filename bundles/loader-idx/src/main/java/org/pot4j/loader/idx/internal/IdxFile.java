package org.pot4j.loader.idx.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.pot4j.api.InvalidInputException;

/**
 * One IDX file held in memory, uncompressed: its header (magic, dimensions) and payload offset.
 * Gzip is detected by its magic bytes, not by the file name.
 */
final class IdxFile {
    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    final Path path;
    final String field;
    final byte[] bytes;
    final int[] dims;
    final int payloadOffset;

    private IdxFile(Path path, String field, byte[] bytes, int[] dims, int payloadOffset) {
        this.path = path;
        this.field = field;
        this.bytes = bytes;
        this.dims = dims;
        this.payloadOffset = payloadOffset;
    }

    static IdxFile read(Path path, String field, int expectedMagic) {
        byte[] bytes = uncompressedBytes(path, field);
        if (bytes.length < 4) {
            throw new InvalidInputException(field, path, "an IDX file (it has only " + bytes.length + " bytes)");
        }
        ByteBuffer header = ByteBuffer.wrap(bytes); // IDX integers are big-endian, ByteBuffer's default
        int magic = header.getInt();
        if (magic != expectedMagic) {
            throw new InvalidInputException(field, path, String.format(
                    "an IDX file with magic 0x%08x (%s); found magic 0x%08x", expectedMagic,
                    expectedMagic == IMAGES_MAGIC ? "uint8 images, 3 dimensions" : "uint8 labels, 1 dimension", magic));
        }
        int rank = expectedMagic & 0xFF;
        int payloadOffset = 4 + 4 * rank;
        if (bytes.length < payloadOffset) {
            throw new InvalidInputException(field, path, "a complete IDX header of " + payloadOffset
                    + " bytes; the file is truncated at " + bytes.length + " bytes");
        }
        int[] dims = new int[rank];
        long expectedBytes = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = header.getInt();
            if (dims[i] < 0) {
                throw new InvalidInputException(field, path, "non-negative IDX dimensions; dimension " + i + " is " + dims[i]);
            }
            expectedBytes *= dims[i];
        }
        long actualBytes = bytes.length - (long) payloadOffset;
        if (actualBytes < expectedBytes) {
            throw new InvalidInputException(field, path, "a complete IDX file: the header declares " + expectedBytes
                    + " data bytes but only " + actualBytes + " are present (truncated)");
        }
        if (actualBytes > expectedBytes) {
            throw new InvalidInputException(field, path, "an IDX file of exactly its declared size: the header declares "
                    + expectedBytes + " data bytes but " + actualBytes + " are present");
        }
        return new IdxFile(path, field, bytes, dims, payloadOffset);
    }

    int count() {
        return dims[0];
    }

    int unsignedByte(long offsetInPayload) {
        return bytes[(int) (payloadOffset + offsetInPayload)] & 0xFF;
    }

    private static byte[] uncompressedBytes(Path path, String field) {
        try {
            byte[] raw = Files.readAllBytes(path);
            if (raw.length >= 2 && (raw[0] & 0xFF) == 0x1f && (raw[1] & 0xFF) == 0x8b) {
                try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
                    return in.readAllBytes();
                } catch (IOException e) {
                    throw new InvalidInputException(field, path, "a valid gzip file (" + e.getMessage()
                            + "; truncated or corrupt)", e);
                }
            }
            return raw;
        } catch (IOException e) {
            throw new InvalidInputException(field, path, "a readable file (" + e + ")", e);
        }
    }
}
