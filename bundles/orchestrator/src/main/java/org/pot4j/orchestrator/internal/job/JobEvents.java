package org.pot4j.orchestrator.internal.job;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventSink;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.ModelSnapshot;

/**
 * Emits one job's events, numbered from 0, to every sink live at the time of the event. A sink that
 * throws is skipped for that event: one bad listener must not fail the job.
 */
public final class JobEvents {
    private final String jobId;
    private final Supplier<List<JobEventSink>> sinks;
    private final AtomicLong sequence = new AtomicLong();
    private volatile String stage;

    public JobEvents(String jobId, Supplier<List<JobEventSink>> sinks) {
        this.jobId = jobId;
        this.sinks = sinks;
    }

    public String jobId() {
        return jobId;
    }

    public String stage() {
        return stage;
    }

    public JobEvent emit(JobEventType type, String message, String code, Map<String, Double> metrics,
                         Map<String, Object> details) {
        return emit(type, stage, null, null, message, code, metrics, details);
    }

    public JobEvent stage(String name) {
        this.stage = name;
        return emit(JobEventType.STAGE, name, null, null, name, null, null, null);
    }

    public JobEvent progress(long done, long total) {
        return emit(JobEventType.PROGRESS, stage, done, total, null, null, null, null);
    }

    public JobEvent emit(JobEventType type, String eventStage, Long done, Long total, String message, String code,
                         Map<String, Double> metrics, Map<String, Object> details) {
        JobEvent event = new JobEvent(jobId, sequence.getAndIncrement(), Instant.now(), type, eventStage, done, total,
                metrics, message, code, details);
        for (JobEventSink sink : sinks.get()) {
            try {
                sink.onEvent(event);
            } catch (RuntimeException e) {
                // a failing listener must not fail the job; it misses this event only
            }
        }
        return event;
    }

    public void snapshot(ModelSnapshot snapshot) {
        for (JobEventSink sink : sinks.get()) {
            try {
                sink.onSnapshot(snapshot);
            } catch (RuntimeException e) {
                // as for events
            }
        }
        emit(JobEventType.SNAPSHOT, stage, null, null, snapshot.label(), null, snapshot.metrics(),
                Map.of("snapshot_id", snapshot.snapshotId(), "final", snapshot.isFinal(), "bytes", snapshot.model().length));
    }
}
