package org.pot4j.kafka.internal;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.pot4j.api.Pot4jException;

/**
 * What the client commands share: where Kafka is (--bootstrap, else $POT4J_BOOTSTRAP, else the
 * configured/framework bootstrap, else 127.0.0.1:9092) and a bounded check that it answers.
 */
final class ClientContext {
    static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
    static final String ENV = "POT4J_BOOTSTRAP";
    /** How long a client command waits for the broker before giving up. */
    static final int CONNECT_TIMEOUT_MS = 10_000;

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
        return DEFAULT_BOOTSTRAP;
    }

    /**
     * The broker's topics; fails with a clear message when no broker answers at {@code bootstrap}
     * within the timeout, or when one of {@code required} does not exist (no server ever started).
     */
    static java.util.Set<String> requireTopics(String bootstrap, KafkaSettings settings,
                                               java.util.List<String> required) {
        java.util.Set<String> topics;
        try (Admin admin = Clients.admin(bootstrap, settings.clientProperties(), "pot4j-cli-check", CONNECT_TIMEOUT_MS)) {
            admin.describeCluster().nodes().get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            topics = admin.listTopics().names().get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Pot4jException("KAFKA_UNREACHABLE", "interrupted while connecting to Kafka at " + bootstrap);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            throw new Pot4jException("KAFKA_UNREACHABLE", "cannot reach Kafka at " + bootstrap + " within "
                    + CONNECT_TIMEOUT_MS / 1000 + " s (set --bootstrap HOST:PORT or " + ENV
                    + "; is `bin/pot serve` running?)");
        }
        for (String topic : required) {
            if (!topics.contains(topic)) {
                throw new Pot4jException("NO_TOPIC", "Kafka at " + bootstrap + " has no topic " + topic
                        + ": no pot4j server has run against it yet (start `bin/pot serve`)");
            }
        }
        return topics;
    }

    /** Runs a command body: bad input → 2, other pot4j errors → 1, each with one clear line. */
    static int guard(java.io.PrintStream err, java.util.concurrent.Callable<Integer> body) {
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
