package org.pot4j.kafka.internal;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What the server's threads share about their own state: whether the server stops (and a sleep that ends when it
 * does), the last problem line (printed once per change), and whether a consumer thread ended without being asked
 * to: then the server cannot go on, {@link #failure} says why and {@code serve} exits non-zero instead of
 * printing "serving" while nothing is consumed.
 */
final class ServerHealth {
    private final PrintStream log;
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile String problem;
    private volatile String failure;

    /** Thrown by {@link #sleep} when the server stops. */
    static final class Stopped extends RuntimeException {
        Stopped() {
            super("the server stops", null, false, false);
        }
    }

    ServerHealth(PrintStream log) {
        this.log = log;
    }

    boolean stopping() {
        return stopping;
    }

    void stop() {
        stopping = true;
        stopSignal.countDown();
    }

    /** Sleeps, ending early when the server stops; throws {@link Stopped} when interrupted. */
    void sleep(long millis) {
        try {
            stopSignal.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Stopped();
        }
    }

    /** Prints {@code message} unless it is the current problem already; it stays the problem until cleared. */
    void report(String message) {
        if (!message.equals(problem)) {
            log.println("pot4j kafka: " + message);
        }
        problem = message;
    }

    void clearProblem() {
        problem = null;
    }

    /** The last problem line, null when none. */
    String problem() {
        return problem;
    }

    /**
     * A consumer thread ({@code what}) ended on {@code error} while the server was not stopping: logged with its
     * stack, and the server is failed for good (the first failure is kept).
     */
    void fail(String what, Throwable error) {
        if (stopping) {
            return;
        }
        StringWriter stack = new StringWriter();
        error.printStackTrace(new PrintWriter(stack));
        log.println("pot4j kafka: " + what + " stopped, the server cannot go on: " + error + "\n" + stack);
        if (failure == null) {
            failure = what + " stopped: " + error;
        }
    }

    /** Why the server cannot go on, null while it can. */
    String failure() {
        return failure;
    }
}
