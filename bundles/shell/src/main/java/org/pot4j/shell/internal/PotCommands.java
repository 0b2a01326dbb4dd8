package org.pot4j.shell.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobService;
import org.pot4j.api.job.JobStatus;
import org.pot4j.api.registry.PluginInfo;
import org.pot4j.api.registry.PluginRegistry;

/**
 * The Gogo commands of scope {@code pot}: {@code pot:jobs}, {@code pot:cancel JOB}, {@code pot:plugins},
 * {@code pot:quantize JOB.json OUTDIR} (runs in the background; follow it with {@code pot:jobs}). They work on the
 * framework the shell runs in.
 */
@Component(service = PotCommands.class, property = {
        "osgi.command.scope=pot",
        "osgi.command.function=jobs", "osgi.command.function=cancel", "osgi.command.function=plugins",
        "osgi.command.function=quantize"})
public final class PotCommands {
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.ALLOW_COMMENTS);

    private final JobService jobService;
    private final PluginRegistry registry;

    @Activate
    public PotCommands(@Reference JobService jobService, @Reference PluginRegistry registry) {
        this.jobService = jobService;
        this.registry = registry;
    }

    public String jobs() {
        StringBuilder text = new StringBuilder(String.format("%-38s %-10s %-28s %s%n", "JOB", "STATE", "STAGE",
                "UPDATED"));
        for (JobStatus status : jobService.jobs()) {
            text.append(String.format("%-38s %-10s %-28s %s%n", status.jobId(), status.state(),
                    status.stage() == null ? "" : status.stage(), status.updated()));
        }
        return text.toString();
    }

    public String cancel(String jobId) {
        return jobService.cancel(jobId) ? "cancelling " + jobId : "no running or queued job " + jobId;
    }

    public String plugins() {
        StringBuilder text = new StringBuilder();
        for (PluginInfo info : registry.plugins()) {
            text.append(String.format("%-10s %-28s %-48s %s%n", info.kind().label(), info.name(), info.bundle(),
                    info.version()));
        }
        return text.toString();
    }

    public String quantize(String jobFile, String outputDirectory) throws IOException {
        Path file = Path.of(jobFile).toAbsolutePath();
        Map<String, Object> config = JSON.readValue(Files.readString(file), new TypeReference<Map<String, Object>>() { });
        String jobId = UUID.randomUUID().toString();
        JobRequest request = new JobRequest(jobId, config, file.getParent(), Path.of(outputDirectory).toAbsolutePath(),
                "shell");
        jobService.validate(request);
        jobService.submit(request);
        return "submitted " + jobId + " (pot:jobs shows it, pot:cancel " + jobId + " stops it)";
    }
}
