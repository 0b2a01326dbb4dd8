package org.pot4j.config.support;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns Jackson's parse errors into messages for people: where (line, column, JSON path) and what
 * is wrong, without Jackson's internals ("Source: REDACTED", feature names, Java types).
 */
public final class JsonErrors {
    /** Jackson's "(for root starting at [Source: ...])" and similar tails that only point into its input. */
    private static final Pattern SOURCE_TAIL = Pattern.compile("\\s*\\((for |at )?[^()]*\\[Source:.*$|\\s*at \\[Source:.*$",
            Pattern.DOTALL);
    /** Jackson's hints naming its own features or limits, e.g. ": enable `JsonReadFeature.X` to allow". */
    private static final Pattern FEATURE_HINT = Pattern.compile("[:;,]?\\s*(enable|from) `[^`]*`( to allow)?");
    private static final Pattern QUOTED = Pattern.compile("'([^']+)'");

    /**
     * @param summary short: "malformed JSON at line 3, column 9 (engine.dataset.preprocessing[0].mean)" or
     *                "not a JSON object"
     * @param reason  what is wrong and what is allowed instead
     */
    public record Problem(String summary, String reason) {
        public String message() {
            return summary + ": " + reason;
        }
    }

    private JsonErrors() {
    }

    /** What a document whose top level is not an object gets, e.g. {@code found} = "an array". */
    public static Problem notAnObject(String found) {
        return new Problem("not a JSON object", "the top level must be a JSON object ({...}), found " + found);
    }

    public static Problem describe(JsonProcessingException e) {
        JsonParser parser = e.getProcessor() instanceof JsonParser p ? p : null;
        String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        if (e instanceof MismatchedInputException && original.startsWith("No content to map")) {
            return new Problem("malformed JSON" + where(e, null), "the document is empty; a JSON object ({...}) is required");
        }
        if (e instanceof MismatchedInputException mismatched && mismatched.getPath().isEmpty()
                && parser != null && parser.currentToken() != null && !original.startsWith("Trailing token")) {
            // reading the whole document as a map: the top-level value is of another kind
            return notAnObject(kind(parser.currentToken()));
        }
        if (original.startsWith("Trailing token")) {
            // a second value after the first, e.g. "{...} {...}" (FAIL_ON_TRAILING_TOKENS)
            return new Problem("malformed JSON" + where(e, null), "unexpected content after the end of the top-level object");
        }
        JsonStreamContext context = parser == null ? null : parser.getParsingContext();
        if (context != null && context.inRoot() && parser.currentToken() != null) {
            // the top-level value is complete and a token that cannot start a value follows, e.g. "{...}}garbage"
            String end = parser.currentToken() == JsonToken.END_ARRAY ? "array"
                    : parser.currentToken() == JsonToken.END_OBJECT ? "object" : "value";
            Matcher quoted = QUOTED.matcher(original);
            String what = quoted.find() ? "'" + quoted.group(1) + "'" : "content";
            return new Problem("malformed JSON" + where(e, null),
                    "unexpected " + what + " after the end of the top-level " + end);
        }
        String path = context == null ? "" : path(context);
        if (original.startsWith("Non-standard token")) {
            // Jackson reports the column after the token; people look for where it starts
            Matcher token = QUOTED.matcher(original);
            int length = token.find() ? token.group(1).length() : 0;
            return new Problem("malformed JSON" + where(e, path, length),
                    "NaN and Infinity are not allowed in JSON; a finite number is (e.g. 0.5)");
        }
        if (original.startsWith("Unexpected end-of-input")) {
            return new Problem("malformed JSON" + where(e, path),
                    "the document ends too early (a closing '}', ']' or '\"' is missing)");
        }
        return new Problem("malformed JSON" + where(e, path), plain(original));
    }

    /** Jackson's message without the parts that describe Jackson rather than the document. */
    static String plain(String original) {
        String text = SOURCE_TAIL.matcher(original).replaceAll("");
        text = FEATURE_HINT.matcher(text).replaceAll("");
        text = text.replace("`", "").strip();
        return text.isEmpty() ? "not valid JSON" : Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }

    private static String where(JsonProcessingException e, String path) {
        return where(e, path, 0);
    }

    private static String where(JsonProcessingException e, String path, int tokenLength) {
        JsonLocation location = e.getLocation();
        String text = location == null || location.getLineNr() < 1 ? ""
                : " at line " + location.getLineNr() + ", column " + Math.max(1, location.getColumnNr() - tokenLength);
        return path == null || path.isEmpty() ? text : text + " (" + path + ")";
    }

    /** The parser's position as a path like {@code engine.dataset.preprocessing[0].mean}. */
    private static String path(JsonStreamContext context) {
        StringBuilder path = new StringBuilder();
        for (JsonStreamContext level = context; level != null && !level.inRoot(); level = level.getParent()) {
            if (level.inArray()) {
                path.insert(0, "[" + Math.max(0, level.getCurrentIndex()) + "]");
            } else if (level.getCurrentName() != null) {
                path.insert(0, "." + level.getCurrentName());
            }
        }
        return path.length() > 0 && path.charAt(0) == '.' ? path.substring(1) : path.toString();
    }

    private static String kind(JsonToken token) {
        return switch (token) {
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> "a " + token.name().toLowerCase();
        };
    }
}
