package org.pot4j.orchestrator.internal.job;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pot4j.api.Pot4jException;

/**
 * A tuning job's trial log: one JSON object per line, appended and forced to disk after each trial,
 * so a job killed mid-trial loses only that trial. A torn last line (killed while writing) is
 * skipped; a damaged line elsewhere is an error naming the file and line. Without an output folder
 * the log lives in memory.
 */
final class TrialLogFile {
    static final String NAME = "trials.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final List<Map<String, Object>> memory = new ArrayList<>();

    TrialLogFile(Path file) {
        this.file = file;
    }

    String location() {
        return file == null ? "in memory (the job has no output folder)" : file.toString();
    }

    synchronized List<Map<String, Object>> read() {
        if (file == null) {
            return List.copyOf(memory);
        }
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<Map<String, Object>> records = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty()) {
                    continue;
                }
                try {
                    records.add(JSON.readValue(line, new TypeReference<Map<String, Object>>() { }));
                } catch (IOException e) {
                    if (i == lines.size() - 1) {
                        break; // the process died while writing this trial: it is lost, as if never run
                    }
                    throw new Pot4jException("INVALID_INPUT", "trial log " + file + " line " + (i + 1)
                            + " is not a JSON object: " + e.getMessage() + " (delete the file or use"
                            + " trials_load_method cold_start)", e);
                }
            }
            return records;
        } catch (IOException e) {
            throw new Pot4jException("OUTPUT_ERROR", "cannot read trial log " + file + ": " + e.getMessage(), e);
        }
    }

    synchronized void append(Map<String, Object> record) {
        if (file == null) {
            memory.add(record);
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            byte[] line = (JSON.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                channel.write(java.nio.ByteBuffer.wrap(line));
                channel.force(true);
            }
        } catch (IOException e) {
            throw new Pot4jException("OUTPUT_ERROR", "cannot append to trial log " + file + ": " + e.getMessage(), e);
        }
    }

    synchronized void clear() {
        memory.clear();
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new Pot4jException("OUTPUT_ERROR", "cannot delete trial log " + file + ": " + e.getMessage(), e);
            }
        }
    }
}
