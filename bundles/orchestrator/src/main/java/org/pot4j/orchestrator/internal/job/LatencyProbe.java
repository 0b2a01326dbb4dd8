package org.pot4j.orchestrator.internal.job;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.backend.BenchmarkResult;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.optimizer.TrialSettings;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/**
 * Latency of a trial's model against the FP32 model on fixed random inputs of the model's input
 * shapes (latency does not depend on the values), timed in the same process on the same inputs:
 * only their ratio leaves this class, never an absolute time.
 */
final class LatencyProbe {
    private final InferenceBackend backend;
    private final TrialSettings settings;
    private final Map<String, Tensor> inputs;

    LatencyProbe(InferenceBackend backend, Graph model, TrialSettings settings) {
        this.backend = backend;
        this.settings = settings;
        this.inputs = inputs(model, Math.max(1, settings.batch()));
    }

    boolean sameSettings(TrialSettings other) {
        return settings.batch() == other.batch() && settings.threads() == other.threads()
                && settings.seconds() == other.seconds() && settings.iterations() == other.iterations();
    }

    /**
     * The trial model's latency over the FP32 model's: both sessions open, timed in alternating rounds (FP32, trial,
     * FP32, trial), each for a quarter of the duration, so a change of the machine's load during the measurement
     * weighs on both sides alike.
     */
    double ratio(Graph fp32, Graph trial) {
        SessionOptions options = SessionOptions.defaults().withThreads(settings.threads());
        try (InferenceSession reference = backend.open(fp32, options);
             InferenceSession candidate = backend.open(trial, options)) {
            double fp32Ms = 0;
            double trialMs = 0;
            for (int round = 0; round < 2; round++) {
                fp32Ms += medianMs(reference);
                trialMs += medianMs(candidate);
            }
            return trialMs / fp32Ms;
        }
    }

    private double medianMs(InferenceSession session) {
        BenchmarkResult result = session.benchmark(inputs, 5, Math.max(1, settings.iterations() / 4),
                settings.seconds() / 4);
        return result.medianMs();
    }

    private static Map<String, Tensor> inputs(Graph model, int batch) {
        Random random = new Random(0);
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (ValueInfo input : model.inputs()) {
            if (model.isInitializer(input.name())) {
                continue;
            }
            if (input.type() != DataType.FLOAT || input.dims() == null) {
                throw new InvalidInputException("optimizer.params.benchmark", input.name(),
                        "latency is measured on models whose inputs are float tensors of known rank");
            }
            long[] shape = new long[input.dims().size()];
            for (int i = 0; i < shape.length; i++) {
                Long value = input.dims().get(i).value();
                shape[i] = i == 0 ? batch : value == null || value < 1 ? 1 : value;
            }
            float[] data = new float[Math.toIntExact(Tensor.elementCount(shape))];
            for (int i = 0; i < data.length; i++) {
                data[i] = random.nextFloat();
            }
            inputs.put(input.name(), Tensor.ofFloats(shape, data));
        }
        return inputs;
    }
}
