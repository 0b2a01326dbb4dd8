package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pot4j.testsupport.TestFiles;

class SnapshotChunksTest {

    @Test
    void aRealModelSplitIntoChunksReassemblesInAnyOrderWithItsChecksum() throws Exception {
        byte[] model = Files.readAllBytes(TestFiles.model("cnn_relu"));
        String sha = SnapshotChunks.sha256(model);
        List<byte[]> chunks = SnapshotChunks.split(model, 4096);
        assertEquals((model.length + 4095) / 4096, chunks.size());

        SnapshotChunks.Assembly assembly = new SnapshotChunks.Assembly("s1", chunks.size(), sha);
        for (int i = chunks.size() - 1; i > 0; i--) {
            assertFalse(assembly.add(i, chunks.get(i)));
        }
        assertFalse(assembly.add(chunks.size() - 1, chunks.get(chunks.size() - 1)), "a repeated chunk is ignored");
        assertTrue(assembly.add(0, chunks.get(0)));
        assertArrayEquals(model, assembly.model());
    }

    @Test
    void aCorruptedChunkFailsTheChecksum() {
        byte[] model = new byte[10_000];
        for (int i = 0; i < model.length; i++) {
            model[i] = (byte) (i * 31);
        }
        List<byte[]> chunks = SnapshotChunks.split(model, 3000);
        SnapshotChunks.Assembly assembly = new SnapshotChunks.Assembly("s", chunks.size(), SnapshotChunks.sha256(model));
        chunks.get(2)[5] ^= 1;
        for (int i = 0; i < chunks.size(); i++) {
            assembly.add(i, chunks.get(i));
        }
        IllegalStateException error = assertThrows(IllegalStateException.class, assembly::model);
        assertTrue(error.getMessage().contains("does not match"), error.getMessage());
    }

    @Test
    void missingChunksAreNamed() {
        SnapshotChunks.Assembly assembly = new SnapshotChunks.Assembly("s", 3, "00");
        assembly.add(1, new byte[1]);
        assertTrue(assertThrows(IllegalStateException.class, assembly::model).getMessage().contains("1 of 3"));
        assertThrows(IllegalArgumentException.class, () -> assembly.add(3, new byte[1]));
    }

    @Test
    void emptyModelIsOneEmptyChunk() {
        assertEquals(1, SnapshotChunks.split(new byte[0], 10).size());
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                SnapshotChunks.sha256(new byte[0]));
    }
}
