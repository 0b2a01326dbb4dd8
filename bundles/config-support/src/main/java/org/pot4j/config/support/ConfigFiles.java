package org.pot4j.config.support;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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
        String text;
        try {
            text = text(file);
        } catch (IOException e) {
            throw new InvalidInputException("-c", file, "cannot be read: " + e.getMessage(), e);
        }
        return parse(text, file.getFileName().toString());
    }

    /** JSON text (with comments) as its top-level object, or bad input naming {@code source} (e.g. the file name). */
    public static Map<String, Object> parse(String text, String source) {
        Map<String, Object> config;
        try {
            config = JSON.readValue(text, new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (JsonProcessingException e) {
            JsonErrors.Problem problem = JsonErrors.describe(e);
            throw new InvalidInputException(source, problem.summary(), problem.reason(), e);
        }
        if (config == null) {
            // the document is the literal null
            JsonErrors.Problem problem = JsonErrors.notAnObject("null");
            throw new InvalidInputException(source, problem.summary(), problem.reason());
        }
        return config;
    }

    /** The file as UTF-8 text; other bytes are bad input naming the offset of the first one that is not UTF-8. */
    private static String text(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer input = ByteBuffer.wrap(bytes);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(input).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidInputException("-c", file, "UTF-8 text (JSON); byte " + input.position() + " of "
                    + bytes.length + " is not UTF-8 (a binary file, or another encoding?)", e);
        }
    }
}