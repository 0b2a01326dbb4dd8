package org.pot4j.runtime;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ctrl-C / SIGTERM during a one-shot sub-command (quantize, evaluate, ...): the command's thread is
 * interrupted, so it cancels its job and returns, and the framework stops in order before the JVM exits
 * with 130. The JVM's default (exit at once, running shutdown hooks) let ONNX Runtime's native
 * destructors run while a job thread was still inside a session: a crash (SIGSEGV, hs_err file) or a
 * misleading "cannot load the model" error. A second signal halts at once.
 */
final class CommandInterrupt {
    /** The shell's status for a process ended by SIGINT. */
    static final int EXIT_CODE = 130;

    private final Thread command;
    private final PrintStream err;
    private final AtomicInteger signals = new AtomicInteger();

    private CommandInterrupt(Thread command, PrintStream err) {
        this.command = command;
        this.err = err;
    }

    static CommandInterrupt install(Thread command, PrintStream err) {
        CommandInterrupt interrupt = new CommandInterrupt(command, err);
        onStopSignals(interrupt::onSignal);
        return interrupt;
    }

    /** Routes SIGINT and SIGTERM to {@code handler} instead of the JVM's default exit. */
    static void onStopSignals(Runnable handler) {
        for (String name : List.of("INT", "TERM")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> handler.run());
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // e.g. -Xrs: the JVM's default exit applies (serve's shutdown hook still stops in order)
            }
        }
    }

    /** Whether a stop signal arrived: the command's own exit code no longer says why it ended. */
    boolean signalled() {
        return signals.get() > 0;
    }

    void onSignal() {
        if (signals.incrementAndGet() > 1) {
            err.println("pot: second stop signal: halting");
            err.flush();
            Runtime.getRuntime().halt(EXIT_CODE);
        }
        err.println();
        err.println("pot: stopping: cancelling the job (a second Ctrl-C halts at once)");
        err.flush();
        command.interrupt();
    }
}
