package org.pot4j.api.optimizer;

import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;
import org.pot4j.api.params.Parameters;

/**
 * What the orchestrator gives an optimizer: its validated parameters, the search space, a way to
 * measure a trial, the job's trial log (a JSON-lines file in the output folder on the CLI), and
 * events. Trials run one at a time on the job's working model unless {@link #parallelism()} says more may
 * run at once (on other servers).
 */
@ProviderType
public interface OptimizationContext {

    String jobId();

    /** The optimizer's parameters, validated, defaults filled in. */
    Parameters parameters();

    List<SearchParameter> searchSpace();

    /** Builds the model for {@code choices} (the compression algorithms after the tunable one rerun), and measures it. */
    TrialMeasurement measure(Map<String, String> choices, TrialSettings settings) throws Exception;

    /**
     * How many trials may be measured at once: 1 in the job's own process; under {@code bin/pot serve} the servers of
     * the group that measure trials. An optimizer that proposes more than one at once uses {@link #measureAsync}.
     */
    default int parallelism() {
        return 1;
    }

    /**
     * Measures trial {@code number} of {@code choices}, possibly on another server; completes with its measurement.
     * By default it measures here, at once.
     */
    default java.util.concurrent.CompletableFuture<TrialMeasurement> measureAsync(int number,
                                                                                 Map<String, String> choices,
                                                                                 TrialSettings settings) {
        try {
            return java.util.concurrent.CompletableFuture.completedFuture(measure(choices, settings));
        } catch (Exception e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Trials an earlier run of this job proposed and no server has measured yet (its owner died with them in flight):
     * number and choices. An optimizer continuing the log measures them under the same numbers.
     */
    default Map<Integer, Map<String, String>> unfinishedTrials() {
        return Map.of();
    }

    /** The records of earlier runs of this job's trial log, oldest first (empty when there is none). */
    List<Map<String, Object>> readTrialLog();

    /** Appends one record (JSON-compatible values) to the trial log, durably. */
    void appendTrialLog(Map<String, Object> record);

    /** Deletes the trial log (POT's cold_start). */
    void clearTrialLog();

    /** Where the trial log is, for messages ("in memory" when the job has no output folder). */
    String trialLogLocation();

    /**
     * One trial's event: {@code line} is its message (one human-readable line, printed by the CLI and
     * {@code submit --follow}), {@code summary} (with the trial's number under "trial") its details, {@code metrics}
     * its metrics; {@code done} of {@code total} trials is the progress.
     */
    void trial(long done, long total, String line, Map<String, Object> summary, Map<String, Double> metrics);

    /** Publishes the model of {@code choices} as a snapshot (a new best). */
    void snapshot(String label, Map<String, String> choices, Map<String, Double> metrics) throws Exception;

    /** A warning event (e.g. a POT key that has no meaning here). */
    void warning(String message);

    /** Adds a key to the job report (the trial table, the Pareto front ...). */
    void report(String key, Object value);

    void progress(long done, long total);

    boolean isCancelled();

    /** Throws a Pot4jException with code CANCELLED when the job was cancelled. */
    void checkCancelled();
}
