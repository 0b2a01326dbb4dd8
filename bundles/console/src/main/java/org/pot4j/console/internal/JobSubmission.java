package org.pot4j.console.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;

import org.pot4j.api.InvalidInputException;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobService;
import org.pot4j.config.support.ConfigPaths;

/**
 * A job JSON from the submit form to the job service: parsed (a syntax error names line and column), checked by
 * the job service's own parser ({@link JobService#validate}: errors name the field), then run with its outputs under
 * {@code <pot4j.home>/outputs} and relative paths resolved against {@code pot4j.home}. Every path of the job must lie
 * under the console's {@code allowed.roots} (symlinks followed), as a Kafka request's must under the Kafka bundle's.
 */
final class JobSubmission {
    private final JobService jobService;
    private final Path home;
    private final List<Path> roots;

    JobSubmission(JobService jobService, Path home, List<Path> roots) {
        this.jobService = jobService;
        this.home = home;
        this.roots = List.copyOf(roots);
    }

    /**
     * The configured roots, relative ones resolved against {@code home}; a .cfg file gives one comma-separated
     * string, which Declarative Services does not split.
     */
    static List<Path> roots(Path home, String[] configured) {
        return java.util.Arrays.stream(configured).flatMap(r -> java.util.Arrays.stream(r.split(",")))
                .map(String::trim).filter(r -> !r.isEmpty())
                .map(r -> home.resolve(r).toAbsolutePath().normalize()).toList();
    }

    /** The request the text asks for; {@link InvalidInputException} naming the field when it is not one. */
    JobRequest request(String text) {
        Map<String, Object> config;
        try {
            config = Json.MAPPER.readValue(text, new TypeReference<Map<String, Object>>() { });
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr();
            throw new InvalidInputException("(job JSON)", abbreviate(text), "a JSON object" + where + ": "
                    + e.getOriginalMessage());
        }
        if (config == null) {
            throw new InvalidInputException("(job JSON)", "null", "a JSON object");
        }
        List<ConfigPaths.Violation> outside = ConfigPaths.outside(config, home, roots);
        if (!outside.isEmpty()) {
            ConfigPaths.Violation first = outside.get(0);
            throw new InvalidInputException(first.field(), first.value(), "a path under the allowed roots " + roots
                    + " (allowed.roots in conf/org.pot4j.console.cfg)" + (first.realPath() == null ? ""
                    : "; it leads to " + first.realPath()));
        }
        JobRequest request = new JobRequest(UUID.randomUUID().toString(), config, home, home.resolve("outputs"),
                "console");
        jobService.validate(request);
        return request;
    }

    /** The first algorithm's name, for the jobs table. */
    @SuppressWarnings("unchecked")
    static String algorithm(Map<String, Object> config) {
        if (config.get("compression") instanceof Map<?, ?> compression
                && compression.get("algorithms") instanceof List<?> algorithms && !algorithms.isEmpty()
                && algorithms.get(0) instanceof Map<?, ?> first) {
            return String.valueOf(((Map<String, Object>) first).get("name"));
        }
        return null;
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }
}
