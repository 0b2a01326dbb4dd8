package org.pot4j.kafka.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.pot4j.api.optimizer.TrialRunner;
import org.pot4j.api.optimizer.TrialTransport;

/**
 * Trials over Kafka under {@code serve} (only when the request server is enabled): creates the trials topic and the
 * compacted trial-log topic, reads the trial log ({@link TrialLogView}), runs this server's {@link TrialWorker}, and
 * registers the {@link TrialTransport} through which the job service sends a tuning job's trials to the group.
 */
@Component(immediate = true)
public class TrialServer {
    private final KafkaSettings settings;
    private final KafkaEventPublisher publisher;
    private final TrialTopics topics;
    private final TrialRunner runner;
    private final BundleContext context;
    private final Path home;
    private final String server = ServerIdentity.name();
    private final ServerHealth health = new ServerHealth(System.err);
    private final List<Thread> threads = new ArrayList<>();
    private volatile TrialLogView view;
    private volatile TrialWorker worker;
    private volatile KafkaTrialTransport transport;
    private volatile ServiceRegistration<TrialTransport> registration;

    @Activate
    public TrialServer(@Reference KafkaRequestServer requests, @Reference TrialRunner runner,
                       @Reference KafkaEventPublisher publisher, BundleContext context) {
        this.publisher = publisher;
        this.settings = requests.settings();
        this.topics = TrialTopics.of(settings);
        this.runner = runner;
        this.context = context;
        this.home = Path.of(context.getProperty("pot4j.home") == null ? "." : context.getProperty("pot4j.home"))
                .toAbsolutePath().normalize();
        if (requests.enabled() && settings.stateRefusal() == null) {
            Thread thread = new Thread(this::start, "pot4j-kafka-trials");
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }

    private void start() {
        try {
            while (!health.stopping() && !createTopics()) {
                health.sleep(2_000);
            }
            if (health.stopping()) {
                return;
            }
            TrialLogView reading = new TrialLogView(settings, topics.log(), server);
            view = reading;
            reading.open(server);
            Thread reader = new Thread(reading::run, "pot4j-kafka-trial-log");
            reader.setDaemon(true);
            threads.add(reader);
            reader.start();
            TrialWorker measuring = new TrialWorker(settings, topics, reading, runner, home, server, health);
            worker = measuring;
            Thread work = new Thread(measuring, "pot4j-kafka-trial-worker");
            work.setDaemon(true);
            threads.add(work);
            work.start();
            transport = new KafkaTrialTransport(settings, topics, reading, health, server);
            if (!health.stopping()) {
                registration = context.registerService(TrialTransport.class, transport, null);
            }
        } catch (ServerHealth.Stopped e) {
            // stopping
        } catch (Throwable e) {
            health.fail("trials over Kafka", e);
        }
    }

    private boolean createTopics() {
        try (Admin admin = Clients.admin(settings.bootstrapServers(), settings.clientProperties(),
                "pot4j-trials-admin-" + server, 10_000)) {
            Set<String> existing = admin.listTopics().names().get(15, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            if (!existing.contains(topics.trials())) {
                missing.add(new NewTopic(topics.trials(), Optional.of(settings.partitions()), Optional.empty()));
            }
            if (!existing.contains(topics.log())) {
                missing.add(new NewTopic(topics.log(), Optional.of(settings.partitions()), Optional.empty())
                        .configs(Map.of("cleanup.policy", "compact")));
            }
            if (!missing.isEmpty()) {
                try {
                    admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerHealth.Stopped();
        } catch (Exception e) {
            health.report("trials over Kafka: cannot create " + topics.trials() + " and " + topics.log() + " (" + e
                    + "); retrying");
            return false;
        }
    }

    @Deactivate
    public void stop() {
        health.stop();
        // as KafkaRequestServer.stop does: a tuning job whose trials stop with this server is interrupted, not ended,
        // so that its request is delivered again (this component stops before the request server)
        if (!threads.isEmpty()) { // serving
            publisher.serverStopping(true);
        }
        ServiceRegistration<TrialTransport> registered = registration;
        if (registered != null) {
            try {
                registered.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
        }
        KafkaTrialTransport sending = transport;
        if (sending != null) {
            sending.close();
        }
        TrialWorker measuring = worker;
        if (measuring != null) {
            measuring.stop();
        }
        TrialLogView reading = view;
        if (reading != null) {
            reading.close();
        }
        for (Thread thread : threads) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
