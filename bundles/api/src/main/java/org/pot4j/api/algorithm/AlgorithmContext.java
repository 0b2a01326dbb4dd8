package org.pot4j.api.algorithm;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;
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
 * What the orchestrator gives an algorithm while a job runs: the working model and plan, the
 * validated parameters, the device, the data, evaluation and statistics services, progress
 * reporting and cancellation. Algorithms never see Kafka, files of other jobs or the registry.
 */
@ProviderType
public interface AlgorithmContext {

    String jobId();

    /** This algorithm's parameters, validated, defaults filled in. */
    Parameters parameters();

    /** The working FP32 model (weights may be edited by bias correction, equalization ...). */
    Graph model();

    void setModel(Graph model);

    /** The working quantization plan. */
    QuantizationPlan plan();

    void setPlan(QuantizationPlan plan);

    /** The device name and its hardware config (with machine-detected properties). */
    String deviceName();

    HardwareConfig hardware();

    /** POT's {@code model_type} ("transformer" or null). */
    String modelType();

    /** Calibration samples (the calibration dataset, or the main one). */
    Dataset calibrationData();

    /** The annotated validation dataset when the job has metrics. */
    Optional<Dataset> validationData();

    /** Indices of the calibration subset (stat_subset_size, shuffle_data, seed applied). */
    int[] calibrationIndices(int subsetSize, boolean shuffle, long seed);

    /** One pass over the calibration subset on {@code model} quantized by {@code plan} (null: FP32). */
    Statistics collect(Graph model, QuantizationPlan plan, int[] sampleIndices, List<StatisticRequest> requests);

    /** Evaluates the job's metrics for {@code model} + {@code plan} (null: FP32) on validation samples (null: all). */
    EvaluationResult evaluate(Graph model, QuantizationPlan plan, int[] sampleIndices);

    /** A session on {@code model} quantized by {@code plan} (null: FP32) on the device's backend. */
    InferenceSession openSession(Graph model, QuantizationPlan plan, SessionOptions options);

    /** A live algorithm by name, to compose (DefaultQuantization runs MinMaxQuantization ...). */
    Optional<QuantizationAlgorithm> algorithm(String name);

    /**
     * Runs another algorithm (both phases) on this context's model and plan with the given
     * parameters, validated against its declaration.
     */
    void run(String algorithmName, Parameters parameters) throws Exception;

    /** Announces a new stage (an event and a progress-bar title). */
    void stage(String name);

    void progress(long done, long total);

    /** Announces metric values (an event). */
    void metrics(String label, Map<String, Double> values);

    /** Publishes an intermediate model snapshot of {@code model} + {@code plan}. */
    void snapshot(String label, Graph model, QuantizationPlan plan, Map<String, Double> metrics);

    /** Adds a key to the job report (e.g. "reverted_layers"). */
    void report(String key, Object value);

    boolean isCancelled();

    /** Throws a Pot4jException with code CANCELLED when the job was cancelled. */
    void checkCancelled();
}
