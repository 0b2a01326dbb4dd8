package org.pot4j.api.job;

import java.time.Instant;

/** A job as listed: id, state, the last update, its stage and a message. */
public record JobStatus(String jobId, JobState state, Instant updated, String stage, String message) {
}
