package org.pot4j.kafka.internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventSink;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.ModelSnapshot;

/**
 * Publishes every job event as JSON to the events topic, the latest state of each job to the
 * compacted jobs topic, and snapshots as chunked records. Idle (no client at all) unless the
 * server is enabled, so local CLI runs never connect.
 */
@Component(service = {JobEventSink.class, KafkaEventPublisher.class}, configurationPid = KafkaConfig.PID)
public class KafkaEventPublisher implements JobEventSink {
    /** A duplicate of a running job is refused without touching that job's state. */
    static final String DUPLICATE_JOB = "DUPLICATE_JOB";

    private final KafkaSettings settings;
    private final String server;
    private volatile KafkaProducer<String, byte[]> producer;
    /** The last state this process published for each of its unfinished jobs: renewed as a lease. */
    private final Map<String, Map<String, Object>> leases = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;
    /** Set when the request server stops: jobs ending now end because of the stop, not on their own. */
    private volatile boolean serverStopping;
    /** Jobs a user asked to cancel (control topic): their CANCELLED is real even while the server stops. */
    private final java.util.Set<String> cancelRequested = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /**
     * Per job run again (after a restart, or an id submitted again): the number its events continue from, the
     * job service numbering every run from 0. Until the run's end.
     */
    private final Map<String, Long> sequenceBase = new java.util.concurrent.ConcurrentHashMap<>();
    /** The terminal state this process last published per job, until the request server takes it. */
    private final Map<String, Map<String, Object>> ended = new java.util.concurrent.ConcurrentHashMap<>();

    @Activate
    public KafkaEventPublisher(Map<String, Object> properties, BundleContext context) {
        this(KafkaSettings.resolve(properties, context::getProperty));
    }

    public KafkaEventPublisher(KafkaSettings settings) {
        this.settings = settings;
        this.server = ServerIdentity.name();
    }

    public KafkaSettings settings() {
        return settings;
    }

    boolean active() {
        return settings.enabled() && !settings.bootstrapServers().isBlank() && !closed;
    }

    synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            producer = Clients.producer(settings.bootstrapServers(), settings.clientProperties(),
                    "pot4j-publisher-" + server, 8 * 1_048_576, 60_000);
        }
        return producer;
    }

    @Override
    public void onEvent(JobEvent event) {
        if (!active()) {
            return;
        }
        JobEvent numbered = rebased(event);
        Map<String, Object> state = publishWithState(numbered);
        if (state != null && numbered.type().isTerminal()) {
            ended.put(numbered.jobId(), state);
        }
    }

    /** {@code event} numbered after the job's earlier runs (see {@link #continueSequence}). */
    JobEvent rebased(JobEvent event) {
        Long base = sequenceBase.get(event.jobId());
        if (base == null) {
            return event;
        }
        if (event.type().isTerminal() && !DUPLICATE_JOB.equals(event.code())) {
            sequenceBase.remove(event.jobId());
        }
        return new JobEvent(event.jobId(), base + event.sequence(), event.time(), event.type(), event.stage(),
                event.done(), event.total(), event.metrics(), event.message(), event.code(), event.details());
    }

    /** The next run of {@code jobId} numbers its events from {@code next} on (what pot4j.jobs recorded last, + 1). */
    public void continueSequence(String jobId, long next) {
        if (next > 0) {
            sequenceBase.put(jobId, next);
        } else {
            sequenceBase.remove(jobId);
        }
    }

    /** The terminal state last published here for {@code jobId} (removed), or null. */
    public Map<String, Object> takeEndedState(String jobId) {
        return ended.remove(jobId);
    }

    /**
     * The request server stops: from now on a job that ends CANCELLED (without a user's cancel) or FAILED ends
     * because the framework is stopping it. Its offset will not be committed, so its request is delivered again
     * and the job runs again: such an ending is published as a non-terminal interruption, not as the job's end.
     */
    public void serverStopping(boolean stopping) {
        serverStopping = stopping;
    }

    /** A user asked to cancel this job: its CANCELLED is its end even while the server stops. */
    public void cancelRequested(String jobId) {
        cancelRequested.add(jobId);
    }

    /** Undoes {@link #cancelRequested}: the job is not this process's. */
    public void cancelRequestedElsewhere(String jobId) {
        cancelRequested.remove(jobId);
    }

    /** Stage (and message) of the event that replaces a job's end caused by a server stop. */
    static final String INTERRUPTED = "interrupted: server stopping, the request will be delivered again";

    boolean interruptedByStop(JobEvent event) {
        return serverStopping && (event.type() == JobEventType.FAILED
                || event.type() == JobEventType.CANCELLED && !cancelRequested.contains(event.jobId()));
    }

    /** Sends an event and, when it changes the job's state, that state. */
    public void publish(JobEvent event) {
        publishWithState(event);
    }

    /** As {@link #publish}; returns the job state sent to the jobs topic, null when none. */
    private Map<String, Object> publishWithState(JobEvent event) {
        KafkaProducer<String, byte[]> out = producer();
        if (interruptedByStop(event)) {
            Map<String, Object> details = new java.util.LinkedHashMap<>();
            details.put("ended_as", event.type().name());
            if (event.code() != null) {
                details.put("ended_code", event.code());
            }
            if (event.message() != null) {
                details.put("ended_message", event.message());
            }
            JobEvent interrupted = new JobEvent(event.jobId(), event.sequence(), event.time(), JobEventType.STAGE,
                    INTERRUPTED, null, null, null, INTERRUPTED, "SERVER_STOPPING", details);
            out.send(new ProducerRecord<>(settings.eventsTopic(), event.jobId(),
                    Messages.bytes(Messages.event(interrupted, server))));
            // not a terminal state, and no lease: the next server to get the request runs it at once
            leases.remove(event.jobId());
            Map<String, Object> json = Messages.jobState(interrupted, Messages.INTERRUPTED, server);
            out.send(new ProducerRecord<>(settings.jobsTopic(), event.jobId(), Messages.bytes(json)));
            return null;
        }
        out.send(new ProducerRecord<>(settings.eventsTopic(), event.jobId(), Messages.bytes(Messages.event(event, server))));
        String state = Messages.stateOf(event.type());
        if (state != null && !(event.type() == JobEventType.REJECTED && DUPLICATE_JOB.equals(event.code()))) {
            Map<String, Object> json = Messages.jobState(event, state, server);
            if (event.type().isTerminal()) {
                leases.remove(event.jobId());
                cancelRequested.remove(event.jobId());
            } else {
                leases.put(event.jobId(), json);
            }
            out.send(new ProducerRecord<>(settings.jobsTopic(), event.jobId(), Messages.bytes(json)));
            return json;
        }
        return null;
    }

    /**
     * Re-publishes the state of every unfinished job of this process with a fresh time: the lease
     * that tells a server which got the request after a rebalance that the job still runs here.
     */
    public void renewLeases() {
        if (!active() || leases.isEmpty()) {
            return;
        }
        KafkaProducer<String, byte[]> out = producer();
        String now = java.time.Instant.now().toString();
        leases.forEach((jobId, state) -> {
            Map<String, Object> renewed = new java.util.LinkedHashMap<>(state);
            renewed.put("updated", now);
            out.send(new ProducerRecord<>(settings.jobsTopic(), jobId, Messages.bytes(renewed)));
        });
    }

    /** This process's name in events and job states. */
    public String server() {
        return server;
    }

    @Override
    public void onSnapshot(ModelSnapshot snapshot) {
        if (!active()) {
            return;
        }
        KafkaProducer<String, byte[]> out = producer();
        String sha256 = SnapshotChunks.sha256(snapshot.model());
        List<byte[]> chunks = SnapshotChunks.split(snapshot.model(), settings.snapshotChunkBytes());
        byte[] metrics = Messages.bytes(snapshot.metrics() == null ? Map.of() : snapshot.metrics());
        for (int i = 0; i < chunks.size(); i++) {
            RecordHeaders headers = new RecordHeaders();
            headers.add(Messages.HEADER_SNAPSHOT_ID, Messages.utf8(snapshot.snapshotId()));
            headers.add(Messages.HEADER_SNAPSHOT_LABEL, Messages.utf8(String.valueOf(snapshot.label())));
            headers.add(Messages.HEADER_FINAL, Messages.utf8(Boolean.toString(snapshot.isFinal())));
            headers.add(Messages.HEADER_CHUNK_INDEX, Messages.utf8(Integer.toString(i)));
            headers.add(Messages.HEADER_CHUNK_COUNT, Messages.utf8(Integer.toString(chunks.size())));
            headers.add(Messages.HEADER_SHA256, Messages.utf8(sha256));
            headers.add(Messages.HEADER_METRICS, metrics);
            out.send(new ProducerRecord<>(settings.snapshotsTopic(), null, snapshot.jobId(), chunks.get(i), headers));
        }
    }

    /** Blocks until everything sent so far is acknowledged (before a request's offset is committed). */
    public void flush() {
        KafkaProducer<String, byte[]> out = producer;
        if (out != null) {
            out.flush();
        }
    }

    @Deactivate
    void deactivate() {
        closed = true;
        KafkaProducer<String, byte[]> out;
        synchronized (this) {
            out = producer;
            producer = null;
        }
        if (out != null) {
            out.close(Duration.ofSeconds(5));
        }
    }
}
