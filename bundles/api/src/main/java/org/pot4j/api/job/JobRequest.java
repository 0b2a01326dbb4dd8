package org.pot4j.api.job;

import java.nio.file.Path;
import java.util.Map;

/**
 * A request to run a job: its id, the POT-style configuration (parsed JSON), the folder relative
 * paths in it resolve against, the output folder (null: none), and where it came from ("cli",
 * "kafka").
 */
public record JobRequest(String jobId, Map<String, Object> config, Path baseDirectory, Path outputDirectory,
                         String origin) {
}
