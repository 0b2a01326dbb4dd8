package org.pot4j.api.monitor;

import java.time.Instant;
import java.util.Map;

/**
 * One job's latest recorded state.
 *
 * @param jobId    the job id
 * @param state    ACCEPTED, STARTED, COMPLETED, FAILED, CANCELLED, REJECTED, or INTERRUPTED (Kafka only)
 * @param updated  when the state was recorded, null when unknown
 * @param stage    the job's stage, null when none
 * @param message  the state's message (an error's text), null when none
 * @param code     the error code of a failed, rejected or cancelled job, null otherwise
 * @param server   the server that recorded the state, null when unknown
 * @param summary  the summary of a COMPLETED job (as in its COMPLETED event), empty otherwise
 */
public record JobRecord(String jobId, String state, Instant updated, String stage, String message, String code,
                        String server, Map<String, Object> summary) {
    public JobRecord {
        if (jobId == null || jobId.isEmpty()) {
            throw new IllegalArgumentException("JobRecord.jobId: null or empty; a job record needs its job id");
        }
        if (state == null || state.isEmpty()) {
            throw new IllegalArgumentException("JobRecord.state of job " + jobId + ": null or empty; allowed: a job"
                    + " state name (ACCEPTED, STARTED, COMPLETED, FAILED, CANCELLED, REJECTED, INTERRUPTED)");
        }
        summary = summary == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(summary));
    }
}
