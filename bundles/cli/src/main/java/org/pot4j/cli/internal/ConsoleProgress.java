package org.pot4j.cli.internal;

import java.io.PrintStream;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventSink;
import org.pot4j.api.job.JobEventType;

/**
 * A one-line progress bar on a terminal (stage, bar, done/total), redrawn in place; on a pipe it
 * prints each stage once and no bar, so logs stay readable.
 */
final class ConsoleProgress implements JobEventSink {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private final boolean terminal;
    private volatile String stage = "";
    private long lastDraw;

    ConsoleProgress(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    static ConsoleProgress forConsole(PrintStream err) {
        return new ConsoleProgress(err, System.console() != null);
    }

    @Override
    public synchronized void onEvent(JobEvent event) {
        if (event.details() != null && event.details().get("warning") instanceof String warning) {
            endLine();
            err.println("warning: " + warning);
            return;
        }
        if (event.type() == JobEventType.METRIC && "trial".equals(event.stage()) && event.message() != null) {
            endLine();
            err.println(event.message()); // an optimizer's one line per trial
            return;
        }
        if (event.type() == JobEventType.STAGE) {
            String next = event.stage() == null ? "" : event.stage();
            if (next.equals(stage)) {
                return; // a stage announced again (e.g. with cache details) is not a new line
            }
            endLine();
            stage = next;
            if (!terminal) {
                err.println("[" + stage + "]");
            }
        } else if (event.type() == JobEventType.PROGRESS && terminal && event.done() != null && event.total() != null) {
            long now = System.nanoTime();
            boolean last = event.done().longValue() == event.total().longValue();
            if (!last && now - lastDraw < 100_000_000L) {
                return;
            }
            lastDraw = now;
            int filled = event.total() == 0 ? WIDTH : (int) (WIDTH * event.done() / event.total());
            err.print("\r" + pad(stage) + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] "
                    + event.done() + "/" + event.total());
            err.flush();
        } else if (event.type().isTerminal()) {
            endLine();
        }
    }

    synchronized void endLine() {
        if (terminal && lastDraw != 0) {
            err.println();
            lastDraw = 0;
        }
    }

    private static String pad(String text) {
        return text.length() >= 24 ? text.substring(0, 24) : text + " ".repeat(24 - text.length());
    }
}
