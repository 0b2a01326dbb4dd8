package org.pot4j.kafka.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobResult;
import org.pot4j.api.job.JobService;
import org.pot4j.api.job.JobState;

/**
 * The server side, active only when enabled ({@code serve}): creates the topics, follows the jobs
 * topic (de-duplication) and the control topic (cancel), and consumes requests on its own thread.
 * That thread never runs a job: it hands requests to the {@link JobService}, pauses its partitions
 * while {@code workers} jobs are in flight, keeps polling, and commits a request's offset only once
 * its job (and every earlier one of the partition) ended.
 * <p>
 * A record that cannot be parsed is committed only once the DLQ acknowledged it (else it is read again). A
 * cancel for a job no server runs yet is recorded as its CANCELLED state by the server owning the job id's
 * partition; a request sent before that cancel is skipped when consumed. Jobs that end while this server
 * stops are reported as interrupted, not ended (see {@link KafkaEventPublisher#serverStopping}).
 */
@Component(service = KafkaRequestServer.class, immediate = true, configurationPid = KafkaConfig.PID)
@Designate(ocd = KafkaConfig.class)
public class KafkaRequestServer {
    private static final Duration POLL = Duration.ofMillis(200);

    private final KafkaSettings settings;
    private final JobService jobs;
    /** Requests in flight at most: the configured workers, or the job service's concurrency. */
    private final int workers;
    private final KafkaEventPublisher publisher;
    private final PrintStream log;
    private final Path home;
    private final String server = ServerIdentity.name();
    private final JobStates states = new JobStates();
    private final OffsetTracker<TopicPartition> offsets = new OffsetTracker<>();
    private final ConcurrentLinkedQueue<Finished> finished = new ConcurrentLinkedQueue<>();
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;
    private volatile KafkaConsumer<String, byte[]> requestConsumer;
    private volatile KafkaConsumer<String, byte[]> watchConsumer;
    private volatile String problem;

    private record Finished(TopicPartition partition, long offset, String jobId, JobResult result) {
    }

    /** A request whose job runs already (here or, by its fresh lease, elsewhere): held until that run ends. */
    private record Held(TopicPartition partition, long offset, RequestParser.Parsed request) {
    }

    /** Touched by the request thread only. */
    private final List<Held> held = new ArrayList<>();
    private long lastLeaseRenewal;
    /** How far the watcher has read the jobs topic (its positions after its last poll). */
    private volatile Map<TopicPartition, Long> watchedJobPositions = Map.of();
    private volatile List<TopicPartition> jobPartitions = List.of();
    /** Partitions of the requests topic (to find a job id's partition), and those assigned here. */
    private volatile int requestPartitionCount;
    private volatile Set<Integer> ownedRequestPartitions = Set.of();

    @Activate
    public KafkaRequestServer(Map<String, Object> properties, BundleContext context,
                              @Reference JobService jobs, @Reference KafkaEventPublisher publisher) {
        this(KafkaSettings.resolve(properties, context::getProperty), jobs, publisher, System.err,
                Path.of(context.getProperty("pot4j.home") == null ? "." : context.getProperty("pot4j.home")));
    }

    public KafkaRequestServer(KafkaSettings settings, JobService jobs, KafkaEventPublisher publisher, PrintStream log,
                              Path home) {
        this.settings = settings;
        this.jobs = jobs;
        // 0: the job service's own concurrency, so that no request waits in its queue while Kafka counts it as running
        this.workers = settings.workers() > 0 ? settings.workers() : Math.max(1, jobs.concurrency());
        this.publisher = publisher;
        this.log = log;
        this.home = home.toAbsolutePath().normalize();
        if (enabled() && settings.stateRefusal() == null) { // else ServeCommand refuses to serve, naming the setting
            // a server started again on the same publisher (e.g. the job service came back): jobs end on their own again
            publisher.serverStopping(false);
            Thread main = new Thread(this::serve, "pot4j-kafka-requests");
            main.setDaemon(true);
            threads.add(main);
            main.start();
        }
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

    /** Waits until the topics exist and the request consumer runs; false on timeout. */
    public boolean awaitReady(long millis) throws InterruptedException {
        return ready.await(millis, TimeUnit.MILLISECONDS);
    }

    /** The last connection problem, null when none. */
    public String problem() {
        return problem;
    }

    public String describe() {
        return "bootstrap " + settings.bootstrapServers() + ", requests on " + settings.requestsTopic() + " (group "
                + settings.groupId() + ", " + workers + " worker(s)), events on " + settings.eventsTopic()
                + ", snapshots on " + settings.snapshotsTopic() + ", server " + server;
    }

    @Deactivate
    public void stop() {
        stopping = true;
        // the jobs the job service now stops are interrupted, not ended: their requests are delivered again
        publisher.serverStopping(true);
        KafkaConsumer<String, byte[]> requests = requestConsumer;
        KafkaConsumer<String, byte[]> watch = watchConsumer;
        if (requests != null) {
            requests.wakeup();
        }
        if (watch != null) {
            watch.wakeup();
        }
        stopSignal.countDown();
        // no interrupt: an interrupted Kafka client cannot leave its group cleanly on close
        for (Thread thread : threads) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---------------------------------------------------------------- start-up

    private void serve() {
        try {
            while (!stopping && !createTopics()) {
                sleep(2_000);
            }
            if (stopping) {
                return;
            }
            watchConsumer = Clients.consumer(settings.bootstrapServers(), settings.clientProperties(),
                    "pot4j-watch-" + server, null, Map.of());
            List<TopicPartition> jobPartitions = JobStates.partitions(watchConsumer, settings.jobsTopic(),
                    Duration.ofSeconds(30));
            watchConsumer.assign(jobPartitions);
            watchConsumer.seekToBeginning(jobPartitions);
            this.jobPartitions = List.copyOf(jobPartitions);
            while (!stopping && !states.readToEnd(watchConsumer, jobPartitions, Duration.ofSeconds(30))) {
                report("the jobs topic " + settings.jobsTopic() + " could not be read to its end; retrying");
            }
            requestPartitionCount = JobStates.partitions(watchConsumer, settings.requestsTopic(),
                    Duration.ofSeconds(30)).size();
            List<TopicPartition> controlPartitions = JobStates.partitions(watchConsumer, settings.controlTopic(),
                    Duration.ofSeconds(30));
            List<TopicPartition> watched = new ArrayList<>(jobPartitions);
            watched.addAll(controlPartitions);
            watchConsumer.assign(watched);
            // only cancels sent from now on: older ones concern jobs that ended or never reached this server
            watchConsumer.seekToEnd(controlPartitions);
            for (TopicPartition partition : controlPartitions) {
                watchConsumer.position(partition);
            }
            Thread watcher = new Thread(this::watch, "pot4j-kafka-watch");
            watcher.setDaemon(true);
            threads.add(watcher);
            watcher.start();
            consumeRequests();
        } catch (WakeupException | InterruptException e) {
            // stopping
        } catch (RuntimeException e) {
            if (!stopping) {
                report("the Kafka server stopped: " + e);
            }
        } finally {
            ready.countDown();
            Thread.interrupted();
            if (requestConsumer != null) {
                closeQuietly(requestConsumer);
            }
        }
    }

    /** Thrown by {@link #sleep} when stopping. */
    private static final class InterruptException extends RuntimeException {
    }

    private void sleep(long millis) {
        try {
            stopSignal.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException();
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
                    NewTopic newTopic = new NewTopic(topic, java.util.Optional.of(settings.partitions()),
                            java.util.Optional.empty());
                    if (topic.equals(settings.jobsTopic())) {
                        newTopic.configs(Map.of("cleanup.policy", "compact"));
                    }
                    missing.add(newTopic);
                }
            }
            if (!missing.isEmpty()) {
                try {
                    admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            problem = null;
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException();
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
                    ? e.getCause() : e;
            report("cannot reach Kafka at " + settings.bootstrapServers() + " (" + cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage()) + "); retrying");
            return false;
        }
    }

    private void report(String message) {
        if (!message.equals(problem)) {
            log.println("pot4j kafka: " + message);
        }
        problem = message;
    }

    // ---------------------------------------------------------------- jobs topic and cancels

    private void watch() {
        KafkaConsumer<String, byte[]> consumer = watchConsumer;
        try {
            while (!stopping) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                    if (record.topic().equals(settings.jobsTopic())) {
                        states.apply(record);
                    } else if (record.key() != null) {
                        control(record);
                    }
                }
                Map<TopicPartition, Long> positions = new HashMap<>();
                for (TopicPartition partition : jobPartitions) {
                    positions.put(partition, consumer.position(partition));
                }
                watchedJobPositions = positions;
            }
        } catch (WakeupException e) {
            // stopping
        } catch (RuntimeException e) {
            if (!stopping) {
                report("the jobs/control watcher stopped: " + e);
            }
        } finally {
            Thread.interrupted();
            closeQuietly(consumer);
        }
    }

    private void control(ConsumerRecord<String, byte[]> record) {
        Map<String, Object> command;
        try {
            command = record.value() == null ? Map.of() : Messages.map(record.value());
        } catch (IOException e) {
            return; // a malformed control record is ignored: nothing to cancel
        }
        if (!"cancel".equals(command.get("action"))) {
            return;
        }
        String jobId = record.key();
        // every server sees every cancel; the one running (or queueing) the job acts on it
        publisher.cancelRequested(jobId);
        if (jobs.cancel(jobId)) {
            return;
        }
        publisher.cancelRequestedElsewhere(jobId);
        Map<String, Object> known = states.get(jobId);
        if (Boolean.TRUE.equals(command.get("recorded")) || (known != null && isTerminal(known))
                || runsElsewhereOrHere(jobId, known) || !ownsRequestsOf(jobId)) {
            // recorded by `pot cancel` itself, ended already, the server running it acts, or another server's to record
            return;
        }
        recordCancelBeforeRun(jobId, record.timestamp(), known);
    }

    /**
     * A cancel for a job no server runs yet (its request waits in the topic, or was interrupted): recorded as
     * its CANCELLED state, with the time of the cancel, so that a request sent before it is not run (see
     * {@link JobStates#cancelledSince}). Recorded by one server only, the one owning the job id's partition.
     */
    private void recordCancelBeforeRun(String jobId, long cancelledAt, Map<String, Object> known) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("before_run", true);
        details.put(JobStates.CANCELLED_AT, cancelledAt);
        publisher.cancelRequested(jobId);
        JobEvent cancelled = event(jobId, JobStates.nextSequence(known), JobEventType.CANCELLED,
                "cancelled before it ran: its request will be skipped", "CANCELLED", details);
        publisher.publish(cancelled);
        Map<String, Object> state = Messages.jobState(cancelled, "CANCELLED", server);
        state.put(JobStates.CANCELLED_AT, cancelledAt);
        states.put(jobId, state);
    }

    /** True when the requests partition a record keyed by {@code jobId} goes to is assigned here. */
    private boolean ownsRequestsOf(String jobId) {
        int count = requestPartitionCount;
        if (count <= 0) {
            return false;
        }
        int partition = org.apache.kafka.common.utils.Utils.toPositive(
                org.apache.kafka.common.utils.Utils.murmur2(Messages.utf8(jobId))) % count;
        return ownedRequestPartitions.contains(partition);
    }

    // ---------------------------------------------------------------- requests

    private void consumeRequests() {
        Map<String, Object> extra = new HashMap<>();
        // one record per poll: the pool check before each poll then holds exactly
        extra.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        extra.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, settings.sessionTimeoutMs());
        extra.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Math.max(1000, settings.sessionTimeoutMs() / 5));
        extra.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        KafkaConsumer<String, byte[]> consumer = Clients.consumer(settings.bootstrapServers(),
                settings.clientProperties(), "pot4j-requests-" + server, settings.groupId(), extra);
        requestConsumer = consumer;
        consumer.subscribe(List.of(settings.requestsTopic()), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                // the states of the jobs running here reach the broker before another server gets their requests
                publisher.flush();
                commit(consumer);
                partitions.forEach(offsets::forget);
                held.removeIf(h -> partitions.contains(h.partition()));
                owned(consumer);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                owned(consumer);
                if (inFlight.get() >= workers) {
                    consumer.pause(partitions);
                }
                if (!partitions.isEmpty()) {
                    awaitJobStatesCurrent(consumer);
                }
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                partitions.forEach(offsets::forget);
                held.removeIf(h -> partitions.contains(h.partition()));
                owned(consumer);
            }
        });
        ready.countDown();
        while (!stopping) {
            try {
                drainFinished();
                reviewHeld();
                renewLeases();
                commit(consumer);
                Set<TopicPartition> assigned = consumer.assignment();
                // a partition with a held request stays paused: later records must not pass it
                Set<TopicPartition> blocked = new java.util.HashSet<>();
                held.forEach(h -> blocked.add(h.partition()));
                blocked.retainAll(assigned);
                if (inFlight.get() >= workers) {
                    consumer.pause(assigned);
                } else {
                    consumer.pause(blocked);
                    Set<TopicPartition> resumable = new java.util.HashSet<>(consumer.paused());
                    resumable.removeAll(blocked);
                    consumer.resume(resumable);
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                    try {
                        handle(record);
                    } catch (RuntimeException e) {
                        // e.g. the DLQ or event could not be sent: read this record again, never drop it
                        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                        offsets.rewind(partition, record.offset());
                        consumer.seek(partition, record.offset());
                        report("request " + partition + "@" + record.offset() + " will be retried: " + e);
                        sleep(1_000);
                    }
                }
            } catch (WakeupException e) {
                throw e;
            } catch (org.apache.kafka.common.errors.RebalanceInProgressException
                     | org.apache.kafka.clients.consumer.CommitFailedException e) {
                // the group moved under this commit: the next poll rejoins, the uncommitted
                // requests of partitions that left are held or re-run by their new owner
                report("commit skipped during a rebalance: " + e.getMessage());
            } catch (org.apache.kafka.common.KafkaException e) {
                report("Kafka error, retrying: " + e);
                sleep(1_000);
            }
        }
    }

    /** Publishes the assignment to the watcher thread (which may not touch the consumer). */
    private void owned(KafkaConsumer<String, byte[]> consumer) {
        Set<Integer> owned = new java.util.HashSet<>();
        consumer.assignment().forEach(p -> owned.add(p.partition()));
        ownedRequestPartitions = Set.copyOf(owned);
    }

    /**
     * Waits (at most 5 s) until the watcher has read the jobs topic up to its current end, so that
     * a request coming from another server's partition sees that server's lease on its job.
     */
    private void awaitJobStatesCurrent(KafkaConsumer<String, byte[]> consumer) {
        try {
            Map<TopicPartition, Long> end = consumer.endOffsets(jobPartitions, Duration.ofSeconds(5));
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < deadline && !stopping) {
                Map<TopicPartition, Long> read = watchedJobPositions;
                if (end.entrySet().stream().allMatch(e -> read.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
                    return;
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // best effort: the lease check still works on what the watcher has read
        }
    }

    private void drainFinished() {
        Finished done;
        while ((done = finished.poll()) != null) {
            offsets.finish(done.partition(), done.offset());
            if (done.result() != null) {
                inFlight.decrementAndGet();
                running.remove(done.jobId());
                // known here at once, before the jobs topic echoes it back: as published (with its sequence)
                Map<String, Object> published = publisher.takeEndedState(done.jobId());
                if (published != null) {
                    states.put(done.jobId(), published);
                    continue;
                }
                Map<String, Object> state = new LinkedHashMap<>();
                state.put("job_id", done.jobId());
                state.put("state", done.result().state().name());
                state.put("updated", Instant.now().toString());
                state.put("server", server);
                state.put("summary", done.result().summary());
                states.put(done.jobId(), state);
            }
        }
    }

    private void commit(KafkaConsumer<String, byte[]> consumer) {
        Map<TopicPartition, Long> advanced = offsets.advanced();
        if (advanced.isEmpty()) {
            return;
        }
        // the terminal events are on the broker before the request is marked done
        publisher.flush();
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        advanced.forEach((partition, offset) -> commit.put(partition, new OffsetAndMetadata(offset)));
        consumer.commitSync(commit);
        advanced.forEach(offsets::markCommitted);
    }

    private void handle(ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        offsets.begin(partition, record.offset());
        String fallbackId = "kafka-" + record.topic() + "-" + record.partition() + "-" + record.offset();
        RequestParser.Limits limits = new RequestParser.Limits(settings.maxRequestBytes(), settings.allowedRoots(),
                home, settings.outputDirectory(), settings.stateFolders());
        RequestParser.Outcome outcome;
        try {
            outcome = RequestParser.parse(record.key(), record.value(), fallbackId, limits);
        } catch (RuntimeException e) {
            outcome = new RequestParser.Unparseable(record.key(), "UNREADABLE", String.valueOf(e));
        }
        if (outcome instanceof RequestParser.Unparseable bad) {
            deadLetter(record, bad);
            if (bad.jobId() != null) {
                publisher.publish(event(bad.jobId(), 0, JobEventType.REJECTED, bad.message(), bad.reason(),
                        Map.of("dlq", settings.dlqTopic())));
            }
            finished.add(new Finished(partition, record.offset(), bad.jobId(), null));
        } else if (outcome instanceof RequestParser.Rejected rejected) {
            publisher.publish(event(rejected.jobId(), 0, JobEventType.REJECTED, rejected.message(),
                    rejected.code(), Map.of("field", rejected.field())));
            finished.add(new Finished(partition, record.offset(), rejected.jobId(), null));
        } else if (outcome instanceof RequestParser.Parsed parsed) {
            start(partition, record.offset(), record.timestamp(), parsed);
        }
    }

    private void start(TopicPartition partition, long offset, long sentAt, RequestParser.Parsed request) {
        String jobId = request.jobId();
        Map<String, Object> known = states.get(jobId);
        if (JobStates.cancelledSince(known, sentAt)) {
            // cancelled after this request was sent (while it waited): not run; its CANCELLED event went out then
            finished.add(new Finished(partition, offset, jobId, null));
            return;
        }
        if (known != null && "COMPLETED".equals(String.valueOf(known.get("state")))) {
            // done before (maybe by another server): say so again instead of running it twice
            long sequence = JobStates.nextSequence(known);
            Map<String, Object> details = new LinkedHashMap<>();
            if (known.get("summary") instanceof Map<?, ?> summary) {
                summary.forEach((k, v) -> details.put(String.valueOf(k), v));
            }
            details.put("reannounced", true);
            publisher.publish(event(jobId, sequence, JobEventType.COMPLETED,
                    "job " + jobId + " already completed; not run again", null, details));
            finished.add(new Finished(partition, offset, jobId, null));
            return;
        }
        if (runsElsewhereOrHere(jobId, known)) {
            held.add(new Held(partition, offset, request));
            return;
        }
        run(partition, offset, request);
    }

    /**
     * True while the job runs in this process, or another server holds a fresh lease on it (its
     * request came here by a rebalance while it ran there): running it now would run it twice.
     */
    private boolean runsElsewhereOrHere(String jobId, Map<String, Object> known) {
        if (running.contains(jobId)) {
            return true;
        }
        if (known == null || isTerminal(known) || server.equals(String.valueOf(known.get("server")))
                || Messages.INTERRUPTED.equals(String.valueOf(known.get("state")))) {
            return false;
        }
        try {
            Instant updated = Instant.parse(String.valueOf(known.get("updated")));
            return Duration.between(updated, Instant.now()).toMillis() < settings.leaseMs();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static boolean isTerminal(Map<String, Object> state) {
        return Set.of("COMPLETED", "FAILED", "CANCELLED", "REJECTED").contains(String.valueOf(state.get("state")));
    }

    /** Held requests whose run ended are done; those whose lease ran out (a dead server) run here. */
    private void reviewHeld() {
        for (java.util.Iterator<Held> it = held.iterator(); it.hasNext(); ) {
            Held h = it.next();
            String jobId = h.request().jobId();
            Map<String, Object> known = states.get(jobId);
            if (runsElsewhereOrHere(jobId, known)) {
                continue;
            }
            if (known != null && isTerminal(known)) {
                // the run this request was waiting for has ended: its events already went out
                it.remove();
                finished.add(new Finished(h.partition(), h.offset(), jobId, null));
            } else if (inFlight.get() < workers) {
                it.remove();
                run(h.partition(), h.offset(), h.request());
            }
        }
    }

    private void renewLeases() {
        long now = System.nanoTime();
        if (now - lastLeaseRenewal > settings.leaseMs() / 5 * 1_000_000L) {
            lastLeaseRenewal = now;
            publisher.renewLeases();
        }
    }

    private void run(TopicPartition partition, long offset, RequestParser.Parsed request) {
        String jobId = request.jobId();
        // a run after an earlier one (interrupted, crashed, or an id sent again): its events continue the numbering
        publisher.continueSequence(jobId, JobStates.nextSequence(states.get(jobId)));
        running.add(jobId);
        inFlight.incrementAndGet();
        JobRequest jobRequest = new JobRequest(jobId, request.config(), request.baseDirectory(),
                request.outputDirectory(), "kafka");
        try {
            jobs.submit(jobRequest).whenComplete((result, error) -> finished.add(new Finished(partition, offset, jobId,
                    result != null ? result : new JobResult(jobId, JobState.FAILED, null, null, Map.of(),
                            "INTERNAL_ERROR", String.valueOf(error)))));
        } catch (RuntimeException e) {
            publisher.publish(event(jobId, 0, JobEventType.FAILED, "the job service refused the job: " + e,
                    "INTERNAL_ERROR", null));
            finished.add(new Finished(partition, offset, jobId,
                    new JobResult(jobId, JobState.FAILED, null, null, Map.of(), "INTERNAL_ERROR", e.toString())));
        }
    }

    /**
     * Sends the record to the DLQ and waits for the broker's acknowledgement: its offset may be committed only
     * once the DLQ holds it. A failure throws, so the caller reads the record again (never a silent drop).
     */
    private void deadLetter(ConsumerRecord<String, byte[]> record, RequestParser.Unparseable bad) {
        ProducerRecord<String, byte[]> dead = DeadLetters.record(settings.dlqTopic(), record, bad.reason(),
                bad.message(), DeadLetters.DEFAULT_VALUE_BUDGET);
        try {
            publisher.producer().send(dead).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending to " + settings.dlqTopic(), e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("the DLQ " + settings.dlqTopic() + " did not take the record ("
                    + bad.reason() + "): " + cause, cause);
        }
    }

    private JobEvent event(String jobId, long sequence, JobEventType type, String message, String code,
                           Map<String, Object> details) {
        return new JobEvent(jobId, sequence, Instant.now(), type, null, null, null, null, message, code, details);
    }

    private static void closeQuietly(KafkaConsumer<?, ?> consumer) {
        try {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
            // closing on the way out
        }
    }
}
