package org.pot4j.kafka.internal;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.pot4j.api.command.Command;

/**
 * {@code pot serve}: the server runs in its components; this command says where it listens and
 * blocks until the JVM is asked to stop (SIGTERM/Ctrl-C) or the calling thread is interrupted.
 */
@Component(property = {Command.PROPERTY + "=serve",
        Command.DESCRIPTION + "=serve: run the quantization server (Kafka requests in, events and models out)"})
public class ServeCommand implements Command {
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
            if (!server.awaitReady(60_000)) {
                err.println("pot4j kafka: still connecting to " + server.settings().bootstrapServers()
                        + (server.problem() == null ? "" : ": " + server.problem()));
            }
            out.println("pot4j serving: " + server.describe());
            out.flush();
            stop.await();
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
