package org.pot4j.api.algorithm;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;

/**
 * The job's context as a composed algorithm sees it: everything shared, only the parameters its own
 * (DefaultQuantization hands each sub-algorithm its keys; TunableQuantization asks MinMax for the
 * statistics of every range estimator of its search space).
 */
public final class ContextWithParameters implements AlgorithmContext {
    private final AlgorithmContext job;
    private final Parameters parameters;

    public ContextWithParameters(AlgorithmContext job, Parameters parameters) {
        this.job = job;
        this.parameters = parameters;
    }

    @Override public Parameters parameters() { return parameters; }
    @Override public String jobId() { return job.jobId(); }
    @Override public Graph model() { return job.model(); }
    @Override public void setModel(Graph model) { job.setModel(model); }
    @Override public QuantizationPlan plan() { return job.plan(); }
    @Override public void setPlan(QuantizationPlan plan) { job.setPlan(plan); }
    @Override public String deviceName() { return job.deviceName(); }
    @Override public HardwareConfig hardware() { return job.hardware(); }
    @Override public String modelType() { return job.modelType(); }
    @Override public Dataset calibrationData() { return job.calibrationData(); }
    @Override public Optional<Dataset> validationData() { return job.validationData(); }
    @Override public int[] calibrationIndices(int size, boolean shuffle, long seed) { return job.calibrationIndices(size, shuffle, seed); }
    @Override public Statistics collect(Graph model, QuantizationPlan plan, int[] indices, List<StatisticRequest> requests) {
        return job.collect(model, plan, indices, requests);
    }
    @Override public EvaluationResult evaluate(Graph model, QuantizationPlan plan, int[] indices) { return job.evaluate(model, plan, indices); }
    @Override public InferenceSession openSession(Graph model, QuantizationPlan plan, SessionOptions options) {
        return job.openSession(model, plan, options);
    }
    @Override public Optional<QuantizationAlgorithm> algorithm(String name) { return job.algorithm(name); }
    @Override public void run(String name, Parameters params) throws Exception { job.run(name, params); }
    @Override public void stage(String name) { job.stage(name); }
    @Override public void progress(long done, long total) { job.progress(done, total); }
    @Override public void metrics(String label, Map<String, Double> values) { job.metrics(label, values); }
    @Override public void snapshot(String label, Graph model, QuantizationPlan plan, Map<String, Double> metrics) {
        job.snapshot(label, model, plan, metrics);
    }
    @Override public void report(String key, Object value) { job.report(key, value); }
    @Override public boolean isCancelled() { return job.isCancelled(); }
    @Override public void checkCancelled() { job.checkCancelled(); }
}
