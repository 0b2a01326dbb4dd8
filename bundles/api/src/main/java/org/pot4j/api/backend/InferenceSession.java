package org.pot4j.api.backend;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;
import org.pot4j.api.tensor.Tensor;

/** An open model on a backend. Thread-safe for concurrent {@link #run} calls unless stated otherwise. */
@ConsumerType
public interface InferenceSession extends AutoCloseable {

    List<String> inputNames();

    /** Model outputs followed by the extra outputs the session was opened with. */
    List<String> outputNames();

    /**
     * Runs the model. Inputs carry the batch dimension. {@code outputs} selects what to return
     * (model or extra outputs); empty means all.
     */
    Map<String, Tensor> run(Map<String, Tensor> inputs, Collection<String> outputs);

    /** Warm-up runs, then timed runs until {@code iterations} or {@code maxSeconds}, whichever ends first. */
    BenchmarkResult benchmark(Map<String, Tensor> inputs, int warmup, int iterations, double maxSeconds);

    @Override
    void close();
}
