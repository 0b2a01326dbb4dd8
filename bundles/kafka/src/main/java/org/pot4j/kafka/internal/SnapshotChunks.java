package org.pot4j.kafka.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** Splits a model into chunks for records, and puts them back together with a checksum check. */
public final class SnapshotChunks {

    private SnapshotChunks() {
    }

    public static List<byte[]> split(byte[] model, int chunkBytes) {
        if (chunkBytes <= 0) {
            throw new IllegalArgumentException("chunk size must be positive: " + chunkBytes);
        }
        List<byte[]> chunks = new ArrayList<>();
        for (int start = 0; start < model.length; start += chunkBytes) {
            chunks.add(Arrays.copyOfRange(model, start, Math.min(model.length, start + chunkBytes)));
        }
        if (chunks.isEmpty()) {
            chunks.add(new byte[0]);
        }
        return chunks;
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Collects the chunks of one snapshot, in any order. */
    public static final class Assembly {
        private final String snapshotId;
        private final String sha256;
        private final byte[][] chunks;
        private int received;

        public Assembly(String snapshotId, int count, String sha256) {
            if (count <= 0) {
                throw new IllegalArgumentException("snapshot " + snapshotId + ": chunk count " + count);
            }
            this.snapshotId = snapshotId;
            this.sha256 = sha256;
            this.chunks = new byte[count][];
        }

        /** Adds a chunk; true when every chunk is there. A repeated chunk (re-delivery) is ignored. */
        public boolean add(int index, byte[] chunk) {
            if (index < 0 || index >= chunks.length) {
                throw new IllegalArgumentException("snapshot " + snapshotId + ": chunk index " + index + " of "
                        + chunks.length);
            }
            if (chunks[index] == null) {
                chunks[index] = chunk;
                received++;
            }
            return complete();
        }

        public boolean complete() {
            return received == chunks.length;
        }

        /** The model bytes; throws when chunks are missing or the checksum does not match. */
        public byte[] model() {
            if (!complete()) {
                throw new IllegalStateException("snapshot " + snapshotId + ": " + received + " of " + chunks.length
                        + " chunks received");
            }
            int size = 0;
            for (byte[] chunk : chunks) {
                size += chunk.length;
            }
            byte[] model = new byte[size];
            int at = 0;
            for (byte[] chunk : chunks) {
                System.arraycopy(chunk, 0, model, at, chunk.length);
                at += chunk.length;
            }
            String actual = sha256(model);
            if (!actual.equalsIgnoreCase(sha256)) {
                throw new IllegalStateException("snapshot " + snapshotId + ": sha256 " + actual + " does not match "
                        + "the announced " + sha256);
            }
            return model;
        }
    }
}
