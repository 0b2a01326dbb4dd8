package org.pot4j.api.job;

import java.time.Instant;
import java.util.Map;

/**
 * One event of a job. Every event carries the job id, a per-job sequence number from 0, and a
 * time; the other fields are set where they apply (null otherwise): {@code stage},
 * {@code done}/{@code total} for progress, {@code metrics}, a human {@code message}, an error
 * {@code code}, and free-form {@code details} (JSON-compatible values).
 */
public record JobEvent(String jobId, long sequence, Instant time, JobEventType type, String stage, Long done,
                       Long total, Map<String, Double> metrics, String message, String code,
                       Map<String, Object> details) {
}
