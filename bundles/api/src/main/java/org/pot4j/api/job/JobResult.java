package org.pot4j.api.job;

import java.nio.file.Path;
import java.util.Map;

/** How a job ended: state, output model and report (when written), final metrics, error code and message. */
public record JobResult(String jobId, JobState state, Path outputModel, Path report, Map<String, Object> summary,
                        String code, String message) {
}
