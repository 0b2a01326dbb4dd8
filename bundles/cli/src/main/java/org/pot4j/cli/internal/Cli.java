package org.pot4j.cli.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;

/** What every sub-command shares: exit codes from errors, JSON output. */
final class Cli {
    static final int OK = 0;
    static final int FAILURE = 1;
    static final int BAD_INPUT = 2;
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Cli() {
    }

    /** Exit code of a failure: 2 when the user's input is at fault (bad config, unusable model file), else 1. */
    static int exitCode(String errorCode) {
        return InvalidInputException.CODE.equals(errorCode) || "MODEL_ERROR".equals(errorCode) ? BAD_INPUT : FAILURE;
    }

    /** Runs a command body, mapping bad input to exit 2 and other failures to exit 1, with a one-line message. */
    static int guard(PrintStream err, Callable<Integer> body) {
        try {
            return body.call();
        } catch (InvalidInputException e) {
            err.println("error: " + e.getMessage());
            return BAD_INPUT;
        } catch (Pot4jException e) {
            err.println("error [" + e.code() + "]: " + e.getMessage());
            return exitCode(e.code());
        } catch (Exception e) {
            err.println("error: " + e);
            return FAILURE;
        }
    }
}
