package org.pot4j.kafka.internal;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.pot4j.api.job.JobService;

/**
 * The server side, active only when enabled ({@code serve}): creates the topics, then runs the control consumer
 * ({@link JobWatcher}: the jobs topic for de-duplication and leases, the control topic for cancels) and the
 * requests consumer ({@link RequestLoop}, on the thread {@code pot4j-kafka-requests}), which hands requests to the
 * {@link JobDispatcher}. Neither thread runs a job. Jobs that end while this server stops are reported as
 * interrupted, not ended (see {@link KafkaEventPublisher#serverStopping}). A consumer thread that ends without a
 * stop fails the server ({@link #failure}; {@code serve} then exits non-zero).
 */
@Component(service = KafkaRequestServer.class, immediate = true, configurationPid = KafkaConfig.PID)
@Designate(ocd = KafkaConfig.class)
public class KafkaRequestServer {
    private final KafkaSettings settings;
    private final JobService jobs;
    /** Requests in flight at most: the configured workers, or the job service's concurrency. */
    private final int workers;
    private final KafkaEventPublisher publisher;
    private final Path home;
    private final String server = ServerIdentity.name();
    private final ServerHealth health;
    private final CountDownLatch ready = new CountDownLatch(1);
    /** Set once the request consumer has had its first assignment from the group: it consumes. */
    private volatile boolean consuming;
    private final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile JobWatcher watcher;
    private volatile RequestLoop requests;
    /** Every job's latest state, kept current by the watcher from the jobs topic (see {@link GroupJobDirectory}). */
    private final JobStates states = new JobStates();
    private final ServerMetrics metrics = new ServerMetrics();

    @Activate
    public KafkaRequestServer(Map<String, Object> properties, BundleContext context, ComponentContext component,
                              @Reference JobService jobs, @Reference KafkaEventPublisher publisher) {
        this(KafkaSettings.resolve(properties, context::getProperty), jobs, publisher, System.err,
                Path.of(context.getProperty("pot4j.home") == null ? "." : context.getProperty("pot4j.home")));
        if (enabled() && settings.stateRefusal() == null) {
            // the group's job states and this server's Kafka metrics, for the console: only while serving
            component.enableComponent(GroupJobDirectory.class.getName());
        }
        // a key this bundle does not read (e.g. the dotted bootstrap.servers) is said, not ignored
        org.pot4j.config.support.ConfigKeys.report(KafkaConfig.PID, KafkaConfig.class, properties,
                KafkaSettings.CLIENT_PREFIX).forEach(System.err::println);
    }

    public KafkaRequestServer(KafkaSettings settings, JobService jobs, KafkaEventPublisher publisher, PrintStream log,
                              Path home) {
        this.settings = settings;
        this.jobs = jobs;
        // 0: the job service's own concurrency, so that no request waits in its queue while Kafka counts it as running
        this.workers = settings.workers() > 0 ? settings.workers() : Math.max(1, jobs.concurrency());
        this.publisher = publisher;
        this.health = new ServerHealth(log);
        this.home = home.toAbsolutePath().normalize();
        if (enabled() && settings.stateRefusal() == null) { // else ServeCommand refuses to serve, naming the setting
            // a server started again on the same publisher (e.g. the job service came back): jobs end on their own again
            publisher.serverStopping(false);
            threads.add(start("pot4j-kafka-requests", this::serve));
        }
    }

    private Thread start(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    public boolean enabled() {
        return settings.enabled() && !settings.bootstrapServers().isBlank();
    }

    public KafkaSettings settings() {
        return settings;
    }

    /** How many requests this server runs at once. */
    public int workers() {
        return workers;
    }

    /**
     * Waits until the request consumer has its first assignment (it consumes: see {@link #consuming}) or the server
     * thread ended; false on timeout.
     */
    public boolean awaitReady(long millis) throws InterruptedException {
        return ready.await(millis, TimeUnit.MILLISECONDS);
    }

    /** True once the request consumer joined its group and got its (possibly empty) share of the partitions. */
    public boolean consuming() {
        return consuming;
    }

    /** The last connection problem, null when none. */
    public String problem() {
        return health.problem();
    }

    /** Why the server cannot go on (a consumer thread ended without a stop), null while it can. */
    public String failure() {
        return health.failure();
    }

    /** How this server names itself in job states and events. */
    public String name() {
        return server;
    }

    /** Every job's latest state as read from the jobs topic so far (empty until the watcher opened). */
    JobStates states() {
        return states;
    }

    ServerMetrics metrics() {
        return metrics;
    }

    public String describe() {
        return "bootstrap " + settings.bootstrapServers() + ", requests on " + settings.requestsTopic() + " (group "
                + settings.groupId() + ", " + workers + " worker(s)), events on " + settings.eventsTopic()
                + ", snapshots on " + settings.snapshotsTopic() + ", server " + server;
    }

    @Deactivate
    public void stop() {
        health.stop();
        // the jobs the job service now stops are interrupted, not ended: their requests are delivered again
        publisher.serverStopping(true);
        RequestLoop loop = requests;
        JobWatcher watching = watcher;
        if (loop != null) {
            loop.wakeup();
        }
        if (watching != null) {
            watching.wakeup();
        }
        // no interrupt: an interrupted Kafka client cannot leave its group cleanly on close
        for (Thread thread : List.copyOf(threads)) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The requests thread: topics, the watcher's start, then the request loop until the server stops. */
    private void serve() {
        try {
            while (!health.stopping() && !createTopics()) {
                health.sleep(2_000);
            }
            if (health.stopping()) {
                return;
            }
            JobDispatcher dispatcher = new JobDispatcher(jobs, publisher, states, new OffsetTracker<>(), server,
                    settings.leaseMs(), workers);
            JobWatcher watching = new JobWatcher(settings, jobs, publisher, states, dispatcher, health, server,
                    this::waitingRequest, metrics);
            watcher = watching;
            watching.open();
            threads.add(start("pot4j-kafka-watch", watching::run));
            RequestLoop loop = new RequestLoop(settings, publisher, dispatcher, watching, states, health,
                    dispatcher.offsets(), server, home, metrics);
            requests = loop;
            loop.run(() -> {
                consuming = true;
                ready.countDown();
            });
        } catch (WakeupException | ServerHealth.Stopped e) {
            // stopping
        } catch (Throwable e) {
            health.fail("the requests consumer (" + Thread.currentThread().getName() + ")", e);
        } finally {
            ready.countDown();
            Thread.interrupted();
        }
    }

    /** Whether a request for {@code jobId} waits in the requests topic; true when that cannot be read (as before). */
    private boolean waitingRequest(String jobId) {
        try {
            return new CancelCommand(settings).waitingRequest(settings.bootstrapServers(), jobId);
        } catch (Exception e) {
            health.report("cannot tell whether a request for job " + jobId + " waits in " + settings.requestsTopic()
                    + " (" + e + "); its cancel is recorded");
            return true;
        }
    }

    private boolean createTopics() {
        try (Admin admin = Clients.admin(settings.bootstrapServers(), settings.clientProperties(),
                "pot4j-admin-" + server, 10_000)) {
            Set<String> existing = admin.listTopics().names().get(15, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String topic : List.of(settings.requestsTopic(), settings.eventsTopic(), settings.snapshotsTopic(),
                    settings.controlTopic(), settings.jobsTopic(), settings.dlqTopic())) {
                if (!existing.contains(topic)) {
                    NewTopic newTopic = new NewTopic(topic, Optional.of(settings.partitions()), Optional.empty());
                    if (topic.equals(settings.jobsTopic())) {
                        newTopic.configs(Map.of("cleanup.policy", "compact"));
                    }
                    missing.add(newTopic);
                }
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
            health.clearProblem();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerHealth.Stopped();
        } catch (Exception e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            health.report("cannot reach Kafka at " + settings.bootstrapServers() + " ("
                    + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage())
                    + "); retrying");
            return false;
        }
    }

    static void closeQuietly(KafkaConsumer<?, ?> consumer) {
        if (consumer == null) {
            return;
        }
        try {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
            // closing on the way out
        }
    }
}
