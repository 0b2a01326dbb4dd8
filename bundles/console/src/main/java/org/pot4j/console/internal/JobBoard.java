package org.pot4j.console.internal;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;


import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventSink;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.monitor.JobDirectory;

/**
 * The console's live view: a {@link JobEventSink} (every event of every job of this runtime, whether it came from
 * Kafka, the console or the CLI) folded into {@link JobView}s, pushed to the open event streams ({@link LiveFeed}),
 * and counted for {@code /metrics}. The job list itself is {@link JobList}'s (the recorded states, with these views
 * where this runtime ran the job): the board holds no reference to the job service, whose sink reference would make
 * a cycle ({@code JobService} tracks the sinks).
 */
@Component(service = {JobEventSink.class, JobBoard.class})
public final class JobBoard implements JobEventSink {
    private final Map<String, JobView> jobs = new ConcurrentHashMap<>();
    private final JobMetrics metrics = new JobMetrics();
    private final LiveFeed feed;
    /** While serving: the name this server records its jobs' states under, put on the rows of its own events. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile JobDirectory directory;

    @Activate
    public JobBoard(@Reference LiveFeed feed) {
        this.feed = feed;
    }

    @Override
    public void onEvent(JobEvent event) {
        JobView view = jobs.computeIfAbsent(event.jobId(), JobView::new);
        String before = view.state();
        Map.Entry<String, Double> ended = view.apply(event);
        if (ended != null) {
            metrics.stageEnded(ended.getValue());
        }
        String after = view.state();
        if (JobView.terminal(after) && !JobView.terminal(before)) {
            metrics.jobEnded(after);
        }
        if (event.type() == JobEventType.STAGE && event.details() != null
                && event.details().get("statistics_cache") != null) {
            metrics.statisticsCache(String.valueOf(event.details().get("statistics_cache")));
        }
        Map<String, Object> message = new LinkedHashMap<>();
        Map<String, Object> row = view.row();
        JobDirectory source = directory;
        if (source != null) {
            // this runtime's event: the job runs here, whether or not the jobs topic has been read back yet
            row.put("server", source.server());
        }
        message.put("job", row);
        message.put("event", JobView.event(event));
        feed.publish(message);
    }

    /** Every job this runtime saw an event of. */
    List<JobView> views() {
        return List.copyOf(jobs.values());
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

    JobMetrics metrics() {
        return metrics;
    }
}
