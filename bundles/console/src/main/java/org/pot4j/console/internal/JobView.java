package org.pot4j.console.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;

/** What the console knows of one job, folded from its events. Guarded by the instance's monitor. */
final class JobView {
    /** Events kept per job: enough for a long AccuracyAware run, bounded for a server that runs for months. */
    static final int MAX_EVENTS = 5000;

    private final String jobId;
    private final List<JobEvent> events = new ArrayList<>();
    /** Stages in the order they began (a stage name may come again, e.g. AccuracyAware's rankings). */
    private final List<Map.Entry<String, Instant>> stages = new ArrayList<>();
    private String state = "ACCEPTED";
    private String model;
    private String device;
    private String algorithm;
    private Instant submitted;
    private Instant started;
    private Instant finished;
    private String stage;
    private Long done;
    private Long total;
    private Map<String, Double> fp32;
    private Map<String, Double> int8;
    private String code;
    private String message;
    private Map<String, Object> error;
    private Path outputFolder;
    private Map<String, Object> summary;

    JobView(String jobId) {
        this.jobId = jobId;
    }

    String jobId() {
        return jobId;
    }

    synchronized String state() {
        return state;
    }

    synchronized Path outputFolder() {
        return outputFolder;
    }

    synchronized void outputFolder(Path folder) {
        outputFolder = folder;
    }

    synchronized void algorithm(String name) {
        algorithm = name;
    }

    /** The code of the rejection of a second submit while the job runs: it does not end the running job. */
    static final String DUPLICATE_JOB = "DUPLICATE_JOB";

    /** Folds one event in; returns the stage that ended with it and its seconds, if one did. */
    synchronized Map.Entry<String, Double> apply(JobEvent event) {
        boolean known = !events.isEmpty();
        if (events.size() < MAX_EVENTS) {
            events.add(event);
        }
        if (known && event.type() == JobEventType.REJECTED && DUPLICATE_JOB.equals(event.code())) {
            return null; // kept in the events; the job this id names goes on (as the jobs topic keeps its state)
        }
        Instant time = event.time() == null ? Instant.now() : event.time();
        Map.Entry<String, Double> ended = null;
        switch (event.type()) {
            case ACCEPTED -> {
                submitted = time;
                if (event.details() != null) {
                    model = string(event.details().get("model"));
                    device = string(event.details().get("device"));
                }
            }
            case STARTED -> started = time;
            case STAGE -> {
                if (event.stage() != null && event.stage().equals(stage) && event.details() != null) {
                    break; // a notice within the stage (statistics cache, warning): the stage goes on
                }
                ended = endStage(time);
                stage = event.stage();
                done = null;
                total = null;
                if (stage != null && stages.size() < MAX_EVENTS) {
                    stages.add(Map.entry(stage, time));
                }
            }
            case PROGRESS -> {
                done = event.done();
                total = event.total();
            }
            case METRIC -> {
                if ("fp32".equals(event.message())) {
                    fp32 = event.metrics();
                } else if ("int8".equals(event.message())) {
                    int8 = event.metrics();
                }
            }
            case COMPLETED -> {
                summary = event.details();
                Object file = event.details() == null ? null : event.details().get("model");
                if (file != null && outputFolder == null) {
                    // OUTDIR/<model_name>/optimized/<model_name>.onnx: the job's folder is two up
                    Path folder = Path.of(file.toString()).toAbsolutePath().getParent();
                    outputFolder = folder == null ? null : folder.getParent();
                }
            }
            case REJECTED, FAILED, CANCELLED -> {
                code = event.code();
                message = event.message();
                error = event.details();
            }
            default -> {
                // SNAPSHOT: kept in the event list
            }
        }
        if (terminal(event.type())) {
            finished = time;
            Map.Entry<String, Double> last = endStage(time);
            ended = ended == null ? last : ended;
        }
        if (event.type() != JobEventType.STAGE && event.type() != JobEventType.PROGRESS
                && event.type() != JobEventType.METRIC && event.type() != JobEventType.SNAPSHOT) {
            state = event.type().name();
        } else if ("ACCEPTED".equals(state)) {
            state = "STARTED";
        }
        return ended;
    }

    private Map.Entry<String, Double> endStage(Instant now) {
        if (stage == null || stages.isEmpty() || !stages.get(stages.size() - 1).getKey().equals(stage)) {
            return null;
        }
        double seconds = Duration.between(stages.get(stages.size() - 1).getValue(), now).toNanos() / 1e9;
        String ended = stage;
        stage = null;
        return Map.entry(ended, seconds);
    }

    static boolean terminal(String state) {
        return "COMPLETED".equals(state) || "FAILED".equals(state) || "CANCELLED".equals(state)
                || "REJECTED".equals(state);
    }

    static boolean terminal(JobEventType type) {
        return type == JobEventType.COMPLETED || type == JobEventType.FAILED || type == JobEventType.CANCELLED
                || type == JobEventType.REJECTED;
    }

    /** The row of the jobs table. */
    synchronized Map<String, Object> row() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", jobId);
        row.put("state", state);
        row.put("model", model);
        row.put("algorithm", algorithm);
        row.put("device", device);
        row.put("submitted", text(submitted));
        row.put("started", text(started));
        row.put("finished", text(finished));
        Instant from = started != null ? started : submitted;
        row.put("seconds", from == null ? null
                : Duration.between(from, finished != null ? finished : Instant.now()).toMillis() / 1000.0);
        row.put("stage", stage);
        row.put("done", done);
        row.put("total", total);
        row.put("fp32", fp32);
        row.put("int8", int8);
        row.put("code", code);
        row.put("message", message);
        row.put("error", error);
        return row;
    }

    /** The row, every event and the stage start times: the job page. */
    synchronized Map<String, Object> detail() {
        Map<String, Object> detail = row();
        detail.put("summary", summary);
        detail.put("stages", stages.stream()
                .map(e -> Map.of("stage", e.getKey(), "start", e.getValue().toString())).toList());
        detail.put("events", events.stream().map(JobView::event).toList());
        detail.put("has_outputs", outputFolder != null);
        return detail;
    }

    static Map<String, Object> event(JobEvent event) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("job_id", event.jobId());
        map.put("sequence", event.sequence());
        map.put("time", text(event.time()));
        map.put("type", event.type().name());
        map.put("stage", event.stage());
        map.put("done", event.done());
        map.put("total", event.total());
        map.put("metrics", event.metrics());
        map.put("message", event.message());
        map.put("code", event.code());
        map.put("details", event.details());
        return map;
    }

    private static String text(Instant time) {
        return time == null ? null : time.toString();
    }

    private static String string(Object value) {
        return value == null ? null : value.toString();
    }
}
