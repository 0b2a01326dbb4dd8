package org.pot4j.orchestrator.internal.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.Pot4jException;

/** The trial log survives a process killed while appending, and says where a damaged line is. */
class TrialLogFileTest {
    @TempDir
    Path temp;

    @Test
    void aTornLastLineIsTheLostTrialOnly() throws Exception {
        Path file = temp.resolve("m/trials.jsonl");
        TrialLogFile log = new TrialLogFile(file);
        log.append(Map.of("type", "trial", "trial", 0));
        log.append(Map.of("type", "trial", "trial", 1));
        Files.writeString(file, "{\"type\": \"trial\", \"tri", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        assertEquals(2, log.read().size());
        assertEquals(1, log.read().get(1).get("trial"));
    }

    @Test
    void aDamagedLineInTheMiddleIsAnErrorNamingFileAndLine() throws Exception {
        Path file = temp.resolve("trials.jsonl");
        Files.writeString(file, "{\"trial\": 0}\nnot json\n{\"trial\": 2}\n");
        Pot4jException e = assertThrows(Pot4jException.class, () -> new TrialLogFile(file).read());
        assertTrue(e.getMessage().contains(file + " line 2"), e.getMessage());
    }

    @Test
    void clearDeletesTheFile() {
        Path file = temp.resolve("trials.jsonl");
        TrialLogFile log = new TrialLogFile(file);
        log.append(Map.of("trial", 0));
        log.clear();
        assertTrue(log.read().isEmpty());
        assertTrue(!Files.exists(file));
    }
}
