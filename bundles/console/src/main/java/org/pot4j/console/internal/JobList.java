package org.pot4j.console.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.pot4j.api.job.JobService;
import org.pot4j.api.job.JobStatus;
import org.pot4j.api.monitor.JobDirectory;
import org.pot4j.api.monitor.JobRecord;
import org.pot4j.api.monitor.JobRecordListener;

/**
 * The console's job list, from the same source {@code bin/pot jobs} reads: under {@code serve} the group's
 * {@link JobDirectory} (the compacted jobs topic, every server's jobs, with the server that recorded each state),
 * otherwise the local {@link JobService#jobs()}. A job this runtime runs (or ran) is shown with what its events told
 * the {@link JobBoard} (stages, progress, metrics), which is ahead of the topic; its state comes from the record when
 * the record is another server's (the job moved there) or a state only the topic has (INTERRUPTED). As a
 * {@link JobRecordListener} it pushes each job's row to the open pages ({@link LiveFeed}) when the directory reads
 * a state, so other servers' jobs are live too, and rows carry their server.
 */
@Component(service = {JobList.class, JobRecordListener.class})
public final class JobList implements JobRecordListener {
    private final JobBoard board;
    private final JobService jobService;
    private final LiveFeed feed;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile JobDirectory directory;

    @Activate
    public JobList(@Reference JobBoard board, @Reference JobService jobService, @Reference LiveFeed feed) {
        this.board = board;
        this.jobService = jobService;
        this.feed = feed;
    }

    /**
     * A state the directory read: pushed as the job's row (for a job of this runtime, its view with the record's
     * server: the view is ahead of the topic).
     */
    @Override
    public void recorded(JobRecord record) {
        JobDirectory source = directory;
        String here = source == null ? null : source.server();
        JobView view = board.job(record.jobId());
        feed.publish(Map.of("job", view == null ? row(record) : overlay(view.row(), record, here)));
    }

    /** The record's state is the one to show: another server recorded it, or only the topic has it. */
    static boolean recordWins(JobRecord record, String here) {
        return record.server() != null && here != null && !record.server().equals(here)
                || "INTERRUPTED".equals(record.state());
    }

    /** Every job, newest first. */
    List<Map<String, Object>> rows() {
        JobDirectory source = directory;
        List<Map<String, Object>> rows = merge(board.views(), records(source), source == null ? null : source.server());
        rows.sort(Comparator.comparing((Map<String, Object> row) -> String.valueOf(row.get("submitted"))).reversed());
        return rows;
    }

    /** One job's page: the board's view when this runtime saw its events, else its record; null when unknown. */
    Map<String, Object> detail(String jobId) {
        JobView view = board.job(jobId);
        JobDirectory source = directory;
        JobRecord record = records(source).stream().filter(r -> r.jobId().equals(jobId)).findFirst().orElse(null);
        if (view != null) {
            Map<String, Object> detail = view.detail();
            detail.put("files", OutputFiles.list(view.outputFolder()));
            return overlay(detail, record, source == null ? null : source.server());
        }
        if (record == null) {
            return null;
        }
        Map<String, Object> detail = row(record);
        detail.put("summary", record.summary().isEmpty() ? null : record.summary());
        detail.put("stages", List.of());
        detail.put("events", List.of());
        detail.put("files", List.of());
        detail.put("has_outputs", false);
        return detail;
    }

    /** How many jobs are in each state (the rows' states). */
    Map<String, Long> countsByState() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Map<String, Object> row : rows()) {
            counts.merge(String.valueOf(row.get("state")), 1L, Long::sum);
        }
        return counts;
    }

    /** How many of the jobs this runtime runs are in {@code state} (ACCEPTED: waiting for a worker; STARTED). */
    long here(String state) {
        return board.views().stream().filter(view -> state.equals(view.state())).count();
    }

    /** Where the list comes from: the directory's source, or the local job service. */
    String source() {
        JobDirectory source = directory;
        return source == null ? "the local job service" : source.source();
    }

    /** The records of {@code source}, or the job service's statuses as records when there is none. */
    private List<JobRecord> records(JobDirectory source) {
        if (source != null) {
            return source.jobs();
        }
        List<JobRecord> records = new ArrayList<>();
        for (JobStatus status : jobService.jobs()) {
            records.add(new JobRecord(status.jobId(), status.state().name(), status.updated(), status.stage(),
                    status.message(), null, null, null));
        }
        return records;
    }

    /**
     * The board's views, each overlaid with its record; then the records of jobs the board has no view of.
     * {@code here}: this process's server name in the records, null without a directory.
     */
    static List<Map<String, Object>> merge(List<JobView> views, List<JobRecord> records, String here) {
        Map<String, JobRecord> byId = new LinkedHashMap<>();
        records.forEach(record -> byId.put(record.jobId(), record));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (JobView view : views) {
            rows.add(overlay(view.row(), byId.remove(view.jobId()), here));
        }
        byId.values().forEach(record -> rows.add(row(record)));
        return rows;
    }

    static Map<String, Object> overlay(Map<String, Object> row, JobRecord record, String here) {
        if (record == null) {
            row.put("server", here);
            return row;
        }
        row.put("server", record.server() == null ? here : record.server());
        if (recordWins(record, here)) {
            row.put("state", record.state());
            row.put("stage", record.stage());
            row.put("message", record.message());
            row.put("code", record.code());
        }
        return row;
    }

    /** The row of a job known only by its record (another server's, or one before this runtime started). */
    static Map<String, Object> row(JobRecord record) {
        Map<String, Object> row = new LinkedHashMap<>();
        Map<String, Object> summary = record.summary();
        row.put("id", record.jobId());
        row.put("state", record.state());
        row.put("model", summary.get("model_name"));
        row.put("algorithm", null);
        row.put("device", null);
        String updated = record.updated() == null ? null : record.updated().toString();
        row.put("submitted", updated);
        row.put("started", null);
        row.put("finished", JobView.terminal(record.state()) ? updated : null);
        row.put("seconds", summary.get("seconds"));
        row.put("stage", record.stage());
        row.put("done", null);
        row.put("total", null);
        row.put("fp32", summary.get("fp32_metrics"));
        row.put("int8", summary.get("int8_metrics"));
        row.put("code", record.code());
        row.put("message", record.message());
        row.put("error", null);
        row.put("server", record.server());
        return row;
    }
}
