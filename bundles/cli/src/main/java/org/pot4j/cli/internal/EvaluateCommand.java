package org.pot4j.cli.internal;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.pot4j.api.command.Command;
import org.pot4j.api.job.EvaluationReport;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobService;
import org.pot4j.config.support.ConfigFiles;

/** {@code pot evaluate -c CONFIG [-m MODEL] [--json]}: the configuration's metrics on its dataset. */
@Component(property = {Command.PROPERTY + "=evaluate",
        Command.DESCRIPTION + "=evaluate -c CONFIG [-m MODEL] [--json]: metrics of a model on the configured dataset"})
public class EvaluateCommand implements Command {
    static final String USAGE = "usage: pot evaluate -c CONFIG [-m MODEL] [--json]";

    private final JobService jobs;

    @Activate
    public EvaluateCommand(@Reference JobService jobs) {
        this.jobs = jobs;
    }

    @Override
    public int execute(List<String> arguments, PrintStream out, PrintStream err) {
        return Cli.guard(err, () -> {
            Args args = Args.parse("evaluate", arguments, Set.of("-c", "--config", "-m", "--model"), Set.of("--json"));
            if (args.help()) {
                out.println(USAGE);
                return Cli.OK;
            }
            Path config = args.path("-c", "--config");
            if (config == null) {
                args.require("-c");
            }
            Path model = args.path("-m", "--model");
            JobRequest request = new JobRequest(null, ConfigFiles.read(config), config.getParent(), null, "cli");
            ConsoleProgress progress = ConsoleProgress.forConsole(err);
            EvaluationReport report = jobs.evaluate(request, model, progress);
            progress.endLine();
            if (args.flag("--json")) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("model", report.model());
                json.put("metrics", report.metrics());
                json.put("samples", report.samples());
                json.put("seconds", Math.round(report.seconds() * 1000) / 1000.0);
                out.println(Cli.JSON.writeValueAsString(json));
            } else {
                out.println("model:   " + report.model());
                out.println("samples: " + report.samples() + String.format(" (%.1f s)", report.seconds()));
                out.printf("%-24s %s%n", "metric", "value");
                report.metrics().forEach((name, value) -> out.printf("%-24s %.4f%n", name, value));
            }
            return Cli.OK;
        });
    }
}
