package org.pot4j.runtime;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The server's own state (embedded broker log, serve's framework cache, statistics cache, logs) lives in
 * {@code state/}, apart from every folder requests may name. Distributions before that kept it in {@code data/},
 * which was also the default allowed root for datasets: a request could write into the broker's log folder and keep
 * the next server from starting. Such a distribution's state is moved on its first start, once.
 */
final class StateFolder {

    /** What the old data/ folder held that belongs to the server, and a file that shows it is the server's. */
    private record Legacy(String name, String marker) {
    }

    private static final List<Legacy> LEGACY = List.of(
            new Legacy("kafka", "meta.properties"),
            new Legacy("felix-cache", Server.BUNDLE_STATE_FILE),
            new Legacy("statistics-cache", null),
            new Legacy("logs", "kafka.log"));

    private StateFolder() {
    }

    /** Moves {@code home/data/<name>} of an older distribution to {@code state/<name>} when the latter is absent. */
    static void migrate(Path home, Path state, PrintStream err) {
        Path data = home.resolve("data");
        if (!Files.isDirectory(data) || data.toAbsolutePath().normalize().equals(state)) {
            return;
        }
        for (Legacy legacy : LEGACY) {
            Path from = data.resolve(legacy.name());
            Path to = state.resolve(legacy.name());
            if (!Files.isDirectory(from) || Files.exists(to)
                    || (legacy.marker() != null && !Files.exists(from.resolve(legacy.marker())))) {
                continue;
            }
            try {
                Files.createDirectories(state);
                Files.move(from, to);
                err.println("pot: moved the server's " + from + " to " + to + " (the server keeps its state in "
                        + state + "; data/ is for datasets)");
            } catch (IOException e) {
                err.println("pot: cannot move the server's " + from + " to " + to + ": " + e);
            }
        }
    }
}
