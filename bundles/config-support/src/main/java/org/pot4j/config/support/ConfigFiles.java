package org.pot4j.config.support;

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

/** Reads a POT-style configuration file (JSON with comments) for a request: {@code bin/pot quantize}, {@code submit}. */
public final class ConfigFiles {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.ALLOW_COMMENTS)
            .enable(JsonParser.Feature.ALLOW_TRAILING_COMMA)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ConfigFiles() {
    }

    /** The file's top-level object, or bad input naming {@code -c} (missing, a folder) or the file (its syntax). */
    public static Map<String, Object> read(Path file) {
        if (Files.isDirectory(file)) {
            throw new InvalidInputException("-c", file, "is a directory, not a file: give the configuration file");
        }
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("-c", file, "the configuration file does not exist");
        }
        Map<String, Object> config;
        try {
            config = JSON.readValue(Files.readString(file), new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (JsonProcessingException e) {
            JsonErrors.Problem problem = JsonErrors.describe(e);
            throw new InvalidInputException(file.getFileName().toString(), problem.summary(), problem.reason(), e);
        } catch (IOException e) {
            throw new InvalidInputException("-c", file, "cannot be read: " + e.getMessage(), e);
        }
        if (config == null) {
            // the document is the literal null
            JsonErrors.Problem problem = JsonErrors.notAnObject("null");
            throw new InvalidInputException(file.getFileName().toString(), problem.summary(), problem.reason());
        }
        return config;
    }
}
