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
        publish(event);
    }

    /** Sends an event and, when it changes the job's state, that state. */
    public void publish(JobEvent event) {
        KafkaProducer<String, byte[]> out = producer();
        out.send(new ProducerRecord<>(settings.eventsTopic(), event.jobId(), Messages.bytes(Messages.event(event, server))));
        String state = Messages.stateOf(event.type());
        if (state != null && !(event.type() == JobEventType.REJECTED && DUPLICATE_JOB.equals(event.code()))) {
            Map<String, Object> json = Messages.jobState(event, state, server);
            if (event.type().isTerminal()) {
                leases.remove(event.jobId());
            } else {
                leases.put(event.jobId(), json);
            }
            out.send(new ProducerRecord<>(settings.jobsTopic(), event.jobId(), Messages.bytes(json)));
        }
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
