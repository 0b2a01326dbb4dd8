package org.pot4j.api;

/**
 * Bad input from a user: names the field (a JSON-style path such as
 * {@code compression.algorithms[0].params.preset}), the value received and what is allowed.
 * The CLI maps it to exit code 2 and the orchestrator to a REJECTED event.
 */
public class InvalidInputException extends Pot4jException {
    private static final long serialVersionUID = 1L;
    public static final String CODE = "INVALID_INPUT";

    private final String field;
    private final String value;
    private final String allowed;

    public InvalidInputException(String field, Object value, String allowed) {
        this(field, value, allowed, null);
    }

    public InvalidInputException(String field, Object value, String allowed, Throwable cause) {
        super(CODE, describe(field, value, allowed), cause);
        this.field = field;
        this.value = value == null ? null : String.valueOf(value);
        this.allowed = allowed;
    }

    private static String describe(String field, Object value, String allowed) {
        StringBuilder text = new StringBuilder("invalid ").append(field).append(": ");
        text.append(value == null ? "(missing)" : "'" + value + "'");
        if (allowed != null && !allowed.isEmpty()) {
            text.append("; ").append(allowed);
        }
        return text.toString();
    }

    public String field() {
        return field;
    }

    public String value() {
        return value;
    }

    public String allowed() {
        return allowed;
    }
}
