package org.pot4j.kafka.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.pot4j.api.monitor.JobDirectory;
import org.pot4j.api.monitor.JobRecord;
import org.pot4j.api.monitor.JobRecordListener;
import org.pot4j.api.monitor.MetricFamily;
import org.pot4j.api.monitor.MetricSource;

/**
 * Under {@code serve}: the group's jobs as the jobs topic records them (the {@link JobStates} the server's watcher
 * keeps current, the same reader {@code bin/pot jobs} uses), each new state told to the {@link JobRecordListener}s
 * (whiteboard), and the server's Kafka metrics. Disabled until the {@link KafkaRequestServer} is enabled and enables
 * it, so that no other run offers a group view.
 */
@Component(enabled = false, service = {JobDirectory.class, MetricSource.class})
public final class GroupJobDirectory implements JobDirectory, MetricSource {
    private final KafkaRequestServer server;
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<JobRecordListener> listeners = List.of();

    @Activate
    public GroupJobDirectory(@Reference KafkaRequestServer server) {
        this.server = server;
        server.states().onState(this::recorded);
    }

    @Deactivate
    void stop() {
        server.states().onState(null);
    }

    private void recorded(String jobId, Map<String, Object> state) {
        List<JobRecordListener> now = listeners;
        if (now.isEmpty()) {
            return;
        }
        for (JobRecord record : records(Map.of(jobId, state))) {
            for (JobRecordListener listener : now) {
                try {
                    listener.recorded(record);
                } catch (RuntimeException e) {
                    // a listener that fails misses this state; the watcher goes on
                }
            }
        }
    }

    @Override
    public String source() {
        return server.settings().jobsTopic() + " at " + server.settings().bootstrapServers();
    }

    @Override
    public String server() {
        return server.name();
    }

    @Override
    public List<JobRecord> jobs() {
        return records(server.states().all());
    }

    @Override
    public List<MetricFamily> metrics() {
        return server.metrics().families(server.settings().requestsTopic(), server.settings().dlqTopic());
    }

    /** The job states JSON ({@link Messages#jobState}) as records; a state without its job id or state is skipped. */
    @SuppressWarnings("unchecked")
    static List<JobRecord> records(Map<String, Map<String, Object>> states) {
        List<JobRecord> records = new ArrayList<>();
        states.forEach((key, state) -> {
            Object id = state.get("job_id") == null ? key : state.get("job_id");
            Object name = state.get("state");
            if (id == null || name == null) {
                return;
            }
            records.add(new JobRecord(id.toString(), name.toString(), instant(state.get("updated")),
                    text(state.get("stage")), text(state.get("message")), text(state.get("code")),
                    text(state.get("server")),
                    state.get("summary") instanceof Map<?, ?> summary ? (Map<String, Object>) summary : Map.of()));
        });
        return records;
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    private static Instant instant(Object value) {
        try {
            return value == null ? null : Instant.parse(value.toString());
        } catch (RuntimeException e) {
            return null;
        }
    }
}
