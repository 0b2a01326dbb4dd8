package org.pot4j.model;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes a file so that readers see the old content or the whole new content, never a part. */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /**
     * Writes {@code bytes} to a hidden {@code .<name>…part} file in the target's folder, then moves it
     * over the target (same folder, so the move can be atomic).
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
        });
    }

    /** What writes a file's content into its channel (which may be positioned, e.g. to leave aligned gaps). */
    @FunctionalInterface
    public interface Content {
        void writeTo(java.nio.channels.FileChannel out) throws IOException;
    }

    /** As {@link #write(Path, byte[])}, the content written by {@code content} (streamed: any size). */
    public static void write(Path target, Content content) throws IOException {
        Path folder = target.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        Path temporary = Files.createTempFile(folder, "." + target.getFileName(), ".part");
        try {
            try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(temporary,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                content.writeTo(out);
            }
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
