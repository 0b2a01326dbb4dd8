package org.pot4j.api.job;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.osgi.annotation.versioning.ProviderType;

/** Runs jobs (from the CLI and from Kafka alike), lists and cancels them. */
@ProviderType
public interface JobService {

    /**
     * Validates and queues a job. A request that cannot run completes the future with a
     * REJECTED result (and a REJECTED event); it never throws for bad input.
     */
    CompletableFuture<JobResult> submit(JobRequest request);

    /** As {@link #submit(JobRequest)}, also telling {@code listener} (the caller's own) every event of this job. */
    CompletableFuture<JobResult> submit(JobRequest request, JobEventSink listener);

    /** Checks a configuration without running it; throws InvalidInputException naming the problem. */
    void validate(JobRequest request);

    /**
     * Evaluates the configuration's metrics on its dataset, for the configured model or
     * {@code modelOverride} when not null. Progress goes to {@code progress} (may be null).
     * Bad input is an InvalidInputException.
     */
    EvaluationReport evaluate(JobRequest request, java.nio.file.Path modelOverride, JobEventSink progress);

    List<JobStatus> jobs();

    Optional<JobStatus> status(String jobId);

    /** Requests cancellation; false when the job is unknown or already ended. */
    boolean cancel(String jobId);

    /**
     * How many jobs run at the same time; more are queued. An entry point that takes work from a queue (Kafka)
     * takes this many at once unless configured otherwise.
     */
    default int concurrency() {
        return 1;
    }
}
