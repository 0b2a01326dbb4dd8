package org.pot4j.config.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.InvalidInputException;

/** Configuration files that are not a JSON object get a message about the file, not about Jackson. */
class ConfigFilesTest {
    @TempDir
    Path temp;

    private InvalidInputException readBroken(String text) throws Exception {
        Path file = temp.resolve("job.json");
        Files.writeString(file, text);
        InvalidInputException error = assertThrows(InvalidInputException.class, () -> ConfigFiles.read(file));
        assertNoJacksonInternals(error.getMessage());
        return error;
    }

    static void assertNoJacksonInternals(String message) {
        for (String internal : new String[] {"Source:", "REDACTED", "Feature", "`", "java.", "JsonToken", "LinkedHashMap"}) {
            assertFalse(message.contains(internal), "'" + internal + "' in: " + message);
        }
    }

    @Test
    void trailingGarbageAfterTheTopLevelObjectIsNamedWithItsPosition() throws Exception {
        InvalidInputException error = readBroken("{\"model\": {\"model_name\": \"m\"}}}garbage");
        assertEquals("job.json", error.field());
        assertEquals("malformed JSON at line 1, column 31", error.value());
        assertEquals("unexpected '}' after the end of the top-level object", error.allowed());

        error = readBroken("{\"a\": 1}\ngarbage\n");
        assertEquals("malformed JSON at line 2, column 8", error.value());
        assertEquals("unexpected 'garbage' after the end of the top-level object", error.allowed());

        error = readBroken("{\"a\": 1} {\"b\": 2}");
        assertEquals("unexpected content after the end of the top-level object", error.allowed());
    }

    @Test
    void topLevelArrayOrScalarIsNotAnObject() throws Exception {
        InvalidInputException error = readBroken("[{\"model\": {}}]");
        assertEquals("the top level must be a JSON object ({...}), found an array", error.allowed());
        assertEquals("not a JSON object", error.value());
        assertEquals("the top level must be a JSON object ({...}), found a string", readBroken("\"x\"").allowed());
        assertEquals("the top level must be a JSON object ({...}), found null", readBroken("null").allowed());
    }

    @Test
    void nanAndInfinityAreRejectedWithLineColumnAndPath() throws Exception {
        InvalidInputException error = readBroken("{\"engine\": {\"dataset\": {\"preprocessing\": [\n"
                + "  {\"type\": \"normalization\", \"mean\": NaN}]}}}");
        assertEquals("malformed JSON at line 2, column 37 (engine.dataset.preprocessing[0].mean)", error.value());
        assertTrue(error.allowed().contains("NaN and Infinity are not allowed") && error.allowed().contains("finite"),
                error.allowed());
        error = readBroken("{\"scale\": [1, -Infinity]}");
        assertEquals("malformed JSON at line 1, column 15 (scale[1])", error.value());
    }

    @Test
    void truncatedAndEmptyFilesKeepTheirPosition() throws Exception {
        InvalidInputException error = readBroken("{\"model\": {\"model_name\": \"m\",\n");
        assertEquals("malformed JSON at line 2, column 1 (model.model_name)", error.value());
        assertTrue(error.allowed().contains("ends too early"), error.allowed());
        error = readBroken("");
        assertTrue(error.value().startsWith("malformed JSON at line 1"), error.value());
        assertTrue(error.allowed().contains("empty"), error.allowed());
        error = readBroken("{\"a\": [1, 2}");
        assertEquals("unexpected close marker '}': expected ']'", error.allowed());
    }

    @Test
    void directoryIsNotAFileAndMissingFileDoesNotExist() {
        InvalidInputException error = assertThrows(InvalidInputException.class, () -> ConfigFiles.read(temp));
        assertTrue(error.getMessage().contains("is a directory, not a file"), error.getMessage());
        error = assertThrows(InvalidInputException.class, () -> ConfigFiles.read(temp.resolve("missing.json")));
        assertTrue(error.getMessage().contains("does not exist"), error.getMessage());
    }

    @Test
    void bytesThatAreNotUtf8AreNamedWithTheirOffset() throws Exception {
        Path file = temp.resolve("binary.json");
        Files.write(file, new byte[] {'{', '"', 'a', '"', ':', ' ', (byte) 0xC3, (byte) 0x28, '}'});
        InvalidInputException error = assertThrows(InvalidInputException.class, () -> ConfigFiles.read(file));
        assertEquals("-c", error.field(), error.getMessage());
        assertTrue(error.getMessage().contains("byte 6 of 9 is not UTF-8"), error.getMessage());
    }
}
