package org.pot4j.orchestrator.internal.job;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.optimizer.OptimizationContext;
import org.pot4j.api.optimizer.SearchParameter;
import org.pot4j.api.optimizer.TrialChannel;
import org.pot4j.api.optimizer.TrialMeasurement;
import org.pot4j.api.optimizer.TrialSettings;
import org.pot4j.api.params.Parameters;

/**
 * A job with an optimizer section: the algorithms before the tunable one run once, the tunable one
 * collects its statistics once and prepares its search space ({@link TrialMeter}), then the optimizer runs trials.
 * In the job's own process a trial is measured here, one at a time, and the trial log is a file in the output
 * folder ({@link TrialLogFile}); when the job service has a trial transport ({@code bin/pot serve}) the trials go
 * to the servers of the group, as many at once as measure trials, and the log is the transport's. At the end the
 * workspace holds the model of the optimizer's choices.
 */
final class Tuning implements OptimizationContext {
    private static final String SERVER = serverName();
    private final Workspace workspace;
    private final Pipeline.OptimizerStep step;
    private final JobRequest request;
    private final Path outputRoot;
    private TrialLogFile log;
    private TrialChannel channel;
    private TrialMeter meter;

    Tuning(Workspace workspace, Pipeline.OptimizerStep step, Path outputRoot, JobRequest request) {
        this.workspace = workspace;
        this.step = step;
        this.request = request;
        this.outputRoot = outputRoot;
    }

    /** Runs everything and leaves the chosen model in the workspace; returns the choices. */
    Map<String, String> run() throws Exception {
        meter = TrialMeter.prepare(workspace, step);
        // MinMax reported the plan of each estimator it planned for the space; the report's points are the final plan's
        workspace.report.remove("quantization_points");
        workspace.report.remove("min_max_quantization");
        workspace.report.put("search_space", meter.space().parameters().stream().map(p -> Map.of("name", p.name(),
                "choices", p.choices(), "reference", p.reference())).toList());
        workspace.events.stage("optimizer " + step.name());
        Map<String, String> chosen;
        if (workspace.settings.trials() != null && request != null) {
            // the same log name for the same output folder, as the CLI's file: a later job continues or evaluates it
            String logId = outputRoot != null ? outputRoot.toAbsolutePath().normalize().toString() : workspace.jobId;
            try (TrialChannel opened = workspace.settings.trials().open(request, logId)) {
                channel = opened;
                chosen = step.optimizer().optimize(this);
            } finally {
                channel = null;
            }
        } else {
            log = new TrialLogFile(outputRoot == null ? null : outputRoot.resolve(TrialLogFile.NAME));
            chosen = step.optimizer().optimize(this);
        }
        meter.checkChoices(chosen);
        workspace.events.stage("build the chosen model");
        meter.apply(chosen);
        return chosen;
    }

    @Override
    public String jobId() {
        return workspace.jobId;
    }

    @Override
    public Parameters parameters() {
        return step.parameters();
    }

    @Override
    public List<SearchParameter> searchSpace() {
        return meter.space().parameters();
    }

    @Override
    public TrialMeasurement measure(Map<String, String> choices, TrialSettings settings) throws Exception {
        return meter.measure(choices, settings);
    }

    @Override
    public int parallelism() {
        return channel == null ? 1 : Math.max(1, channel.parallelism());
    }

    @Override
    public CompletableFuture<TrialMeasurement> measureAsync(int number, Map<String, String> choices,
                                                            TrialSettings settings) {
        if (channel == null) {
            return OptimizationContext.super.measureAsync(number, choices, settings);
        }
        meter.checkChoices(choices);
        return channel.measure(number, choices, settings);
    }

    @Override
    public Map<Integer, Map<String, String>> unfinishedTrials() {
        return channel == null ? Map.of() : channel.unfinished();
    }

    @Override
    public List<Map<String, Object>> readTrialLog() {
        return channel != null ? channel.read() : log.read();
    }

    @Override
    public void appendTrialLog(Map<String, Object> record) {
        if (channel != null) {
            channel.append(record);
        } else {
            log.append(record);
        }
    }

    @Override
    public void clearTrialLog() {
        if (channel != null) {
            channel.clear();
        } else {
            log.clear();
        }
    }

    @Override
    public String trialLogLocation() {
        return channel != null ? channel.location() : log.location();
    }

    @Override
    public void trial(long done, long total, String line, Map<String, Object> summary, Map<String, Double> metrics) {
        Map<String, Object> details = new LinkedHashMap<>(summary);
        if (details.get("server") == null) {
            details.put("server", SERVER);
        }
        workspace.events.emit(JobEventType.METRIC, "trial", done, total, line, null, metrics, details);
        workspace.events.progress(done, total);
    }

    @Override
    public void snapshot(String label, Map<String, String> choices, Map<String, Double> metrics) throws Exception {
        meter.checkChoices(choices);
        meter.apply(choices);
        meter.jobContext().snapshot(label, workspace.model, workspace.plan, metrics);
    }

    @Override
    public void warning(String message) {
        workspace.events.emit(JobEventType.STAGE, workspace.events.stage(), null, null, "warning: " + message, null,
                null, Map.of("warning", message));
        workspace.report.merge("warnings", List.of(message), (a, b) -> {
            List<Object> all = new java.util.ArrayList<>((List<?>) a);
            all.addAll((List<?>) b);
            return all;
        });
    }

    @Override
    public void report(String key, Object value) {
        workspace.report.put(key, value);
    }

    @Override
    public void progress(long done, long total) {
        meter.jobContext().progress(done, total);
    }

    @Override
    public boolean isCancelled() {
        return meter.jobContext().isCancelled();
    }

    @Override
    public void checkCancelled() {
        meter.jobContext().checkCancelled();
    }

    private static String serverName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName() + "-" + ProcessHandle.current().pid();
        } catch (java.io.IOException e) {
            return "localhost-" + ProcessHandle.current().pid();
        }
    }
}
