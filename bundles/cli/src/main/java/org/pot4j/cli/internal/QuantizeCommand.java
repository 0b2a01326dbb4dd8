package org.pot4j.cli.internal;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.pot4j.api.command.Command;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobResult;
import org.pot4j.api.job.JobService;
import org.pot4j.api.job.JobState;
import org.pot4j.config.support.ConfigFiles;

/**
 * {@code pot quantize -c CONFIG [-o OUTDIR] [--json]}: runs a quantization job in this process, the
 * same way the server runs one from Kafka, with a progress bar.
 */
@Component(property = {Command.PROPERTY + "=quantize",
        Command.DESCRIPTION + "=quantize -c CONFIG [-o OUTDIR] [--json]: quantize a model (POT-style config)"})
public class QuantizeCommand implements Command {
    static final String USAGE = "usage: pot quantize -c CONFIG [-o OUTDIR] [--job-id ID] [--json]";

    private final JobService jobs;

    @Activate
    public QuantizeCommand(@Reference JobService jobs) {
        this.jobs = jobs;
    }

    @Override
    public int execute(List<String> arguments, PrintStream out, PrintStream err) {
        return Cli.guard(err, () -> {
            Args args = Args.parse("quantize", arguments, Set.of("-c", "--config", "-o", "--output", "--job-id"),
                    Set.of("--json"));
            if (args.help()) {
                out.println(USAGE);
                return Cli.OK;
            }
            Path config = args.path("-c", "--config");
            if (config == null) {
                args.require("-c");
            }
            Path output = args.path("-o", "--output");
            if (output == null) {
                output = Path.of("results").toAbsolutePath();
            }
            String jobId = args.get("--job-id") != null ? args.get("--job-id") : "cli-" + UUID.randomUUID();
            JobRequest request = new JobRequest(jobId, ConfigFiles.read(config), config.getParent(), output, "cli");
            ConsoleProgress progress = ConsoleProgress.forConsole(err);
            JobResult result;
            try {
                result = awaitCancellingOnInterrupt(jobs.submit(request, progress), jobId);
            } finally {
                progress.endLine();
            }
            if (args.flag("--json")) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("job_id", result.jobId());
                json.put("state", result.state().name());
                json.put("model", result.outputModel() == null ? null : result.outputModel().toString());
                json.put("report", result.report() == null ? null : result.report().toString());
                json.put("code", result.code());
                json.put("message", result.message());
                json.put("summary", result.summary());
                out.println(Cli.JSON.writeValueAsString(json));
            } else if (result.state() == JobState.COMPLETED) {
                printSummary(result, out);
            }
            if (result.state() == JobState.COMPLETED) {
                return Cli.OK;
            }
            if (!args.flag("--json")) {
                err.println("error [" + result.code() + "]: " + result.message());
            }
            return result.state() == JobState.REJECTED ? Cli.BAD_INPUT : Cli.exitCode(result.code());
        });
    }

    /**
     * The job's result. An interrupt (Ctrl-C: the launcher interrupts the command's thread) cancels the job and still
     * waits for it to stop, so nothing is left running, inside ONNX Runtime, while the framework and the JVM go away.
     */
    private JobResult awaitCancellingOnInterrupt(CompletableFuture<JobResult> result, String jobId) throws Exception {
        try {
            return result.get();
        } catch (InterruptedException e) {
            jobs.cancel(jobId);
            try {
                while (true) {
                    try {
                        return result.get();
                    } catch (InterruptedException again) {
                        // already cancelling; a second Ctrl-C halts the JVM in the launcher
                    }
                }
            } finally {
                Thread.currentThread().interrupt(); // keep the interrupt for whoever runs this command
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void printSummary(JobResult result, PrintStream out) {
        out.println("model:  " + result.outputModel());
        out.println("report: " + result.report());
        if (Boolean.TRUE.equals(result.summary().get("replaced_previous_results"))) {
            out.println("(replaced the results of an earlier run in " + result.outputModel().getParent().getParent() + ")");
        }
        Object fp32 = result.summary().get("fp32_metrics");
        Object int8 = result.summary().get("int8_metrics");
        if (fp32 instanceof Map<?, ?> fp32Map && int8 instanceof Map<?, ?> int8Map) {
            out.printf("%-24s %10s %10s %10s%n", "metric", "FP32", "INT8", "drop");
            ((Map<String, Object>) fp32Map).forEach((name, value) -> {
                Object quantized = int8Map.get(name);
                if (value instanceof Number f && quantized instanceof Number q) {
                    out.printf("%-24s %10.4f %10.4f %10.4f%n", name, f.doubleValue(), q.doubleValue(),
                            f.doubleValue() - q.doubleValue());
                }
            });
        }
        Object points = result.summary().get("quantized_layers");
        if (points != null) {
            Object ignored = result.summary().get("ignored_nodes");
            out.println("quantized layers: " + points + (ignored instanceof Number n && n.intValue() > 0
                    ? " (" + n + " left in float: report.json ignored_nodes says why)" : ""));
        }
        Object warning = result.summary().get("warning");
        if (warning != null) {
            out.println("warning: " + warning);
        }
        Object seconds = result.summary().get("seconds");
        if (seconds != null) {
            out.println("time: " + seconds + " s");
        }
    }
}
