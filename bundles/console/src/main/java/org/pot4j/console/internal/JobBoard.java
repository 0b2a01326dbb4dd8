package org.pot4j.console.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.osgi.service.component.annotations.Component;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventSink;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.JobService;
import org.pot4j.api.job.JobStatus;

/**
 * The console's live view: a {@link JobEventSink} (every event of every job of this runtime, whether it came from
 * Kafka, the console or the CLI) folded into {@link JobView}s, pushed to the open event streams. Jobs the sink has
 * not seen (before the console started) come from {@link JobService#jobs()}, the job service's own list, which
 * the callers hand in: the board holds no reference to the job service, whose sink reference would make a cycle.
 */
@Component(service = {JobEventSink.class, JobBoard.class})
public final class JobBoard implements JobEventSink {
    private final Map<String, JobView> jobs = new ConcurrentHashMap<>();
    private final List<Consumer<Map<String, Object>>> listeners = new CopyOnWriteArrayList<>();
    private final JobMetrics metrics = new JobMetrics();

    @Override
    public void onEvent(JobEvent event) {
        JobView view = jobs.computeIfAbsent(event.jobId(), JobView::new);
        String before = view.state();
        Map.Entry<String, Double> ended = view.apply(event);
        if (ended != null) {
            metrics.stageEnded(ended.getValue());
        }
        if (JobView.terminal(event.type()) && !JobView.terminal(JobEventType.valueOf(before))) {
            metrics.jobEnded(event.type().name());
        }
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("job", view.row());
        message.put("event", JobView.event(event));
        listeners.forEach(listener -> listener.accept(message));
    }

    /** Every job, newest first: those seen by the sink, and the job service's others. */
    List<Map<String, Object>> rows(JobService jobService) {
        List<Map<String, Object>> rows = new ArrayList<>();
        jobs.values().forEach(view -> rows.add(view.row()));
        for (JobStatus status : jobService.jobs()) {
            if (!jobs.containsKey(status.jobId())) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", status.jobId());
                row.put("state", status.state().name());
                row.put("stage", status.stage());
                row.put("message", status.message());
                row.put("submitted", status.updated() == null ? null : status.updated().toString());
                rows.add(row);
            }
        }
        rows.sort(Comparator.comparing((Map<String, Object> row) -> String.valueOf(row.get("submitted"))).reversed());
        return rows;
    }

    JobView job(String jobId) {
        return jobs.get(jobId);
    }

    /** A job the console submitted: known before its first event, with its algorithm and output folder. */
    void submitted(String jobId, String algorithm, Path outputFolder) {
        JobView view = jobs.computeIfAbsent(jobId, JobView::new);
        view.algorithm(algorithm);
        if (outputFolder != null) {
            view.outputFolder(outputFolder);
        }
    }

    Map<String, Long> countsByState(JobService jobService) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Map<String, Object> row : rows(jobService)) {
            counts.merge(String.valueOf(row.get("state")), 1L, Long::sum);
        }
        return counts;
    }

    JobMetrics metrics() {
        return metrics;
    }

    void listen(Consumer<Map<String, Object>> listener) {
        listeners.add(listener);
    }

    void unlisten(Consumer<Map<String, Object>> listener) {
        listeners.remove(listener);
    }
}
