package org.pot4j.api;

/**
 * A failure with a stable machine-readable code, carried into job events and CLI exit codes.
 */
public class Pot4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String code;

    public Pot4jException(String code, String message) {
        super(message);
        this.code = code;
    }

    public Pot4jException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** A short upper-case code such as {@code INVALID_INPUT}, {@code MODEL_ERROR}, {@code CANCELLED}. */
    public String code() {
        return code;
    }
}
