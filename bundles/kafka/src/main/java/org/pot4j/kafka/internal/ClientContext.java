package org.pot4j.kafka.internal;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaException;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;

/**
 * What the client commands share: where Kafka is (--bootstrap, else $POT4J_BOOTSTRAP, else the
 * configured/framework bootstrap, else the embedded broker's 127.0.0.1:9092, or its port from
 * -Dpot4j.kafka.embedded.port) and a bounded wait until it answers with a server's topics.
 */
final class ClientContext {
    static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
    static final String ENV = "POT4J_BOOTSTRAP";
    /** The embedded broker's port (runtime's Server reads the same system property). */
    static final String EMBEDDED_PORT_PROPERTY = "pot4j.kafka.embedded.port";
    /** How long one request of a client command to the broker may take. */
    static final int CONNECT_TIMEOUT_MS = 10_000;
    /**
     * How long a client command waits by default for the broker to answer and a server to have created the topics
     * (a server started just before, e.g. `pot serve &`, came close to 60 s on a loaded 2-core machine); --wait SECONDS.
     */
    static final int DEFAULT_WAIT_SECONDS = 120;
    static final String WAIT_OPTION = "--wait";
    private static final long ATTEMPT_MS = 2_000;
    private static final long POLL_MS = 500;

    private ClientContext() {
    }

    static String bootstrap(String option, KafkaSettings settings) {
        if (option != null && !option.isBlank()) {
            return option.trim();
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        if (!settings.bootstrapServers().isBlank()) {
            return settings.bootstrapServers();
        }
        // the port `pot serve` gives its embedded broker when started with the same POT4J_JAVA_OPTS
        Integer embeddedPort = Integer.getInteger(EMBEDDED_PORT_PROPERTY);
        return embeddedPort == null ? DEFAULT_BOOTSTRAP : "127.0.0.1:" + embeddedPort;
    }

    /**
     * The broker's topics once it answers and has all of {@code required} (created by a starting `pot serve`),
     * waiting for that at most {@code wait}: the first run of `pot serve &` is followed at once by a client command.
     * Says on {@code err} once what it waits for (and again only when that changes: the broker answers, the topics
     * are still missing). After the wait, fails naming what was missing; {@code wait} zero checks once.
     */
    static Set<String> awaitTopics(String bootstrap, KafkaSettings settings, List<String> required, Duration wait,
                                   PrintStream err) {
        long deadline = System.nanoTime() + wait.toNanos();
        String announced = null;
        try (Admin admin = Clients.admin(bootstrap, settings.clientProperties(), "pot4j-cli-check", CONNECT_TIMEOUT_MS)) {
            while (true) {
                long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                // short attempts while waiting, so that the wait is announced at once; the admin client keeps its
                // connection attempts going between them
                long attemptMs = wait.isZero() ? CONNECT_TIMEOUT_MS : Math.max(1, Math.min(ATTEMPT_MS, remainingMs));
                String waitingFor;
                Pot4jException failure;
                try {
                    Set<String> topics = admin.listTopics().names().get(attemptMs, TimeUnit.MILLISECONDS);
                    List<String> missing = required.stream().filter(topic -> !topics.contains(topic)).toList();
                    if (missing.isEmpty()) {
                        return topics;
                    }
                    waitingFor = "a pot4j server to create " + String.join(", ", missing) + " at " + bootstrap;
                    failure = new Pot4jException("NO_TOPIC", "Kafka at " + bootstrap + " has no topic "
                            + String.join(", ", missing) + after(wait) + ": no pot4j server has run against it "
                            + "(start `bin/pot serve`; " + WAIT_OPTION + " SECONDS waits longer)");
                } catch (ExecutionException | TimeoutException | KafkaException e) {
                    waitingFor = "Kafka at " + bootstrap + " to answer";
                    long waited = wait.isZero() ? CONNECT_TIMEOUT_MS / 1000 : wait.toSeconds();
                    failure = new Pot4jException("KAFKA_UNREACHABLE", "cannot reach Kafka at " + bootstrap + " within "
                            + waited + " s (set --bootstrap HOST:PORT or " + ENV + "; is `bin/pot serve` running? "
                            + WAIT_OPTION + " SECONDS waits longer)");
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw failure;
                }
                if (!waitingFor.equals(announced)) {
                    err.println("waiting up to " + Math.max(1, (remainingMs + 999) / 1000) + " s for " + waitingFor
                            + " (`bin/pot serve` starting?)");
                    err.flush();
                    announced = waitingFor;
                }
                Thread.sleep(Math.min(POLL_MS, Math.max(1, remainingMs)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Pot4jException("KAFKA_UNREACHABLE", "interrupted while connecting to Kafka at " + bootstrap);
        }
    }

    private static String after(Duration wait) {
        return wait.isZero() ? "" : " after " + wait.toSeconds() + " s";
    }

    /** The --wait option's value: whole seconds >= 0, {@link #DEFAULT_WAIT_SECONDS} when not given. */
    static Duration waitOption(String command, String value) {
        if (value == null) {
            return Duration.ofSeconds(DEFAULT_WAIT_SECONDS);
        }
        try {
            long seconds = Long.parseLong(value.trim());
            if (seconds >= 0) {
                return Duration.ofSeconds(seconds);
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new InvalidInputException(command + " " + WAIT_OPTION, value, "a whole number of seconds >= 0 (how long to"
                + " wait for Kafka and a server's topics; 0: check once)");
    }

    /** Runs a command body: bad input → 2, other pot4j errors → 1, each with one clear line. */
    static int guard(PrintStream err, java.util.concurrent.Callable<Integer> body) {
        try {
            return body.call();
        } catch (org.pot4j.api.InvalidInputException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (Pot4jException e) {
            err.println("error [" + e.code() + "]: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("interrupted");
            return 1;
        } catch (Exception e) {
            err.println("error: " + e);
            return 1;
        }
    }
}
