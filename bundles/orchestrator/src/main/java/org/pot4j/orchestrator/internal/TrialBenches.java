package org.pot4j.orchestrator.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.optimizer.TrialMeasurement;
import org.pot4j.api.optimizer.TrialSettings;
import org.pot4j.api.registry.PluginRegistry;
import org.pot4j.orchestrator.internal.config.JobConfig;
import org.pot4j.orchestrator.internal.job.Jobs;
import org.pot4j.orchestrator.internal.job.Pipeline;
import org.pot4j.orchestrator.internal.job.TrialBench;

/**
 * The job service's side of trials over Kafka: the benches of the tuning jobs whose trials this server measures,
 * one per job (the last {@value #KEPT} jobs; a job's bench is rebuilt when its configuration differs), one trial at a
 * time. A server stopping ({@link #close}) stops the trial being measured at its next cancellation check.
 */
final class TrialBenches implements AutoCloseable {
    static final int KEPT = 2;

    private final PluginRegistry registry;
    private final Function<Pipeline, Jobs.Settings> settings;
    private final Function<JobRequest, JobConfig> parser;
    private final Map<String, TrialBench> benches = new LinkedHashMap<>(4, 0.75f, true);
    private volatile boolean closed;

    TrialBenches(PluginRegistry registry, Function<JobRequest, JobConfig> parser,
                 Function<Pipeline, Jobs.Settings> settings) {
        this.registry = registry;
        this.parser = parser;
        this.settings = settings;
    }

    synchronized TrialMeasurement measure(JobRequest request, Map<String, String> choices, TrialSettings trial)
            throws Exception {
        if (closed) {
            throw new org.pot4j.api.Pot4jException("CANCELLED", "the job service is stopping");
        }
        String configKey = String.valueOf(request.config()) + "|" + request.baseDirectory();
        TrialBench bench = benches.get(request.jobId());
        if (bench == null || !bench.configKey().equals(configKey)) {
            if (bench != null) {
                benches.remove(request.jobId()).close();
            }
            Pipeline pipeline = Pipeline.assemble(parser.apply(request), registry, true);
            bench = TrialBench.open(request.jobId(), configKey, pipeline, registry, settings.apply(pipeline),
                    () -> closed);
            benches.put(request.jobId(), bench);
            while (benches.size() > KEPT) {
                String eldest = benches.keySet().iterator().next();
                benches.remove(eldest).close();
            }
        }
        return bench.measure(choices, trial);
    }

    synchronized void release(String jobId) {
        TrialBench bench = benches.remove(jobId);
        if (bench != null) {
            bench.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            benches.values().forEach(TrialBench::close);
            benches.clear();
        }
    }
}
