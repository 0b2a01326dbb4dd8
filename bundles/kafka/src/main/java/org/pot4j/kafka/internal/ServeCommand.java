package org.pot4j.kafka.internal;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.pot4j.api.command.Command;

/**
 * {@code pot serve}: the server runs in its components; this command prints its ready line ("pot4j serving: ...")
 * once the request consumer has its first assignment, and
 * blocks until the JVM is asked to stop (SIGTERM/Ctrl-C) or the calling thread is interrupted; exit 1 when a
 * consumer thread of the server ended on its own (it says why).
 */
@Component(property = {Command.PROPERTY + "=serve",
        Command.DESCRIPTION + "=serve: run the quantization server (Kafka requests in, events and models out)"})
public class ServeCommand implements Command {
    /** After how long without an assignment serve says what it still waits for. */
    private static final long NOT_READY_NOTICE_MILLIS = 60_000;

    private final KafkaRequestServer server;

    @Activate
    public ServeCommand(@Reference KafkaRequestServer server) {
        this.server = server;
    }

    @Override
    public int execute(List<String> arguments, PrintStream out, PrintStream err) throws Exception {
        if (!arguments.isEmpty()) {
            err.println("error: serve takes no options (configure it in conf/org.pot4j.kafka.cfg), got " + arguments);
            return 2;
        }
        if (!server.enabled()) {
            err.println("error: the Kafka server is not enabled: set pot4j.kafka.enabled=true and "
                    + "pot4j.kafka.bootstrap.servers (framework properties), or enabled/bootstrap_servers in "
                    + "conf/org.pot4j.kafka.cfg");
            return 1;
        }
        String refusal = server.settings().stateRefusal();
        if (refusal != null) {
            // a request could otherwise write into the broker's log or the framework cache and keep the server from
            // starting again, or read them
            err.println("error: " + refusal);
            return 2;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            // leave the consumer group now, so the requests move to another server at once
            server.stop();
        }, "pot4j-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (!server.awaitReady(NOT_READY_NOTICE_MILLIS)) {
                err.println("pot4j kafka: not serving yet after " + NOT_READY_NOTICE_MILLIS / 1000 + " s: "
                        + (server.problem() != null ? server.problem()
                        : "waiting for the request consumer's partitions (group " + server.settings().groupId()
                        + " at " + server.settings().bootstrapServers() + ")") + "; still waiting");
                err.flush();
                server.awaitReady(Long.MAX_VALUE);
            }
            if (!server.consuming()) {
                if (stop.getCount() == 0) {
                    return 0;
                }
                err.println("error: the Kafka server stopped before it served"
                        + (server.failure() != null ? ": " + server.failure()
                        : server.problem() == null ? "" : ": " + server.problem()));
                return 1;
            }
            out.println("pot4j serving: " + server.describe());
            out.flush();
            // until stopped, or until a consumer thread ended on its own: then the process must not look alive
            while (!stop.await(500, TimeUnit.MILLISECONDS)) {
                if (server.failure() != null) {
                    err.println("pot4j kafka: the server cannot go on: " + server.failure());
                    return 1;
                }
            }
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }
}
