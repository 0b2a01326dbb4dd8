package org.pot4j.cli.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.pot4j.api.InvalidInputException;

/** Reads a POT-style configuration file (JSON with comments) for a request. */
final class ConfigFiles {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.ALLOW_COMMENTS)
            .enable(JsonParser.Feature.ALLOW_TRAILING_COMMA)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ConfigFiles() {
    }

    static Map<String, Object> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("-c", file, "the configuration file does not exist");
        }
        try {
            return JSON.readValue(Files.readString(file), new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw new InvalidInputException(file.getFileName().toString(), "malformed JSON" + where,
                    e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new InvalidInputException("-c", file, "cannot be read: " + e.getMessage(), e);
        }
    }
}
