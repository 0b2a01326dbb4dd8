package org.pot4j.api.optimizer;

import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;
import org.pot4j.api.job.JobRequest;

/**
 * Measures one trial of a tuning job on this server, for a job another server of the group owns: the
 * pipeline of {@code request} is built on first use (its statistics from this server's cache) and
 * kept for the job's next trials. Implemented by the orchestrator, used by the Kafka bundle.
 */
@ProviderType
public interface TrialRunner {

    /**
     * Builds the model of {@code choices} and measures it as {@link OptimizationContext#measure} does; bad input
     * (a choice not in the search space, a job without an optimizer section) is an InvalidInputException.
     */
    TrialMeasurement measure(JobRequest request, Map<String, String> choices, TrialSettings settings) throws Exception;

    /** Forgets what was built for {@code jobId} (its trials are over). */
    void release(String jobId);
}
