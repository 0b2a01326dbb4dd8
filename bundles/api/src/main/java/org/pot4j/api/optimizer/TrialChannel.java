package org.pot4j.api.optimizer;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One tuning job's trials on a {@link TrialTransport}: proposals go out keyed by trial number, any
 * server measures them, and the results come back in a durable trial log keyed the same way, so a
 * trial is counted once however often it is delivered.
 */
@ProviderType
public interface TrialChannel extends AutoCloseable {

    /** How many trials may be measured at once (the servers that measure trials). */
    int parallelism();

    /**
     * Publishes trial {@code number} (at most once per number and choices: a second call with the same ones waits for
     * the same result) and completes with its measurement, or exceptionally when the measuring server failed it.
     */
    CompletableFuture<TrialMeasurement> measure(int number, Map<String, String> choices, TrialSettings settings);

    /** The log's records (search space, trials, end), oldest first; trials proposed but not measured are left out. */
    List<Map<String, Object>> read();

    /** Trials proposed (by this job or an earlier run of it) with no result in the log: number and choices. */
    Map<Integer, Map<String, String>> unfinished();

    /** Appends a record durably; a record with the number of a logged trial replaces it. */
    void append(Map<String, Object> record);

    /** Deletes the log. */
    void clear();

    /** Where the log is, for messages. */
    String location();

    @Override
    void close();
}
