package org.pot4j.api.optimizer;

import org.osgi.annotation.versioning.ProviderType;
import org.pot4j.api.job.JobRequest;

/**
 * Spreads the trials of tuning jobs over the servers of a group (registered by the Kafka bundle under
 * {@code bin/pot serve}); the orchestrator opens one {@link TrialChannel} per tuning job. Without a
 * transport a job measures its trials itself, one after another.
 */
@ProviderType
public interface TrialTransport {

    /**
     * The channel of the job {@code request}, whose trial log is named {@code logId} (the same name, the same log:
     * a later job with that name continues or evaluates it).
     */
    TrialChannel open(JobRequest request, String logId);
}
