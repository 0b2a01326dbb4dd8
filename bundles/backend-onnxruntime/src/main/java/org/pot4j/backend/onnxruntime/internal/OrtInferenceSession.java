package org.pot4j.backend.onnxruntime.internal;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.backend.BenchmarkResult;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/**
 * One ONNX Runtime session. {@link #run} may be called from many threads at once (ORT sessions
 * are thread-safe); {@link #close} waits for running calls to finish.
 */
final class OrtInferenceSession implements InferenceSession {
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final Map<String, TensorInfo> inputInfo = new LinkedHashMap<>();
    private final List<String> inputNames;
    private final List<String> outputNames;
    // readers are run/benchmark calls; the writer is close, so the native session never disappears under a run
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    OrtInferenceSession(OrtEnvironment environment, OrtSession session) throws OrtException {
        this.environment = environment;
        this.session = session;
        for (Map.Entry<String, NodeInfo> entry : session.getInputInfo().entrySet()) {
            if (!(entry.getValue().getInfo() instanceof TensorInfo tensorInfo)) {
                session.close();
                throw new Pot4jException("MODEL_ERROR", "model input '" + entry.getKey() + "' is a "
                        + entry.getValue().getInfo() + "; pot4j feeds tensor inputs only");
            }
            inputInfo.put(entry.getKey(), tensorInfo);
        }
        this.inputNames = List.copyOf(inputInfo.keySet());
        this.outputNames = List.copyOf(session.getOutputInfo().keySet());
    }

    @Override
    public List<String> inputNames() {
        return inputNames;
    }

    @Override
    public List<String> outputNames() {
        return outputNames;
    }

    /** The model's declared input shape, -1 for symbolic dimensions. */
    long[] inputShape(String inputName) {
        return inputInfo.get(inputName).getShape();
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs, Collection<String> outputs) {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            Set<String> requested = selectOutputs(outputs);
            Map<String, OnnxTensor> ortInputs = toOrt(inputs);
            try (OrtSession.Result result = session.run(ortInputs, requested)) {
                Map<String, Tensor> converted = new LinkedHashMap<>();
                for (String name : requested) {
                    OnnxValue value = result.get(name).orElseThrow(() -> new Pot4jException("INFERENCE_ERROR",
                            "ONNX Runtime returned no value for output '" + name + "'"));
                    converted.put(name, OrtTensors.fromOrt(name, value));
                }
                return converted;
            } catch (OrtException e) {
                throw new Pot4jException("INFERENCE_ERROR", "ONNX Runtime failed to run the model on "
                        + describe(inputs) + ": " + e.getMessage(), e);
            } finally {
                closeAll(ortInputs.values());
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public BenchmarkResult benchmark(Map<String, Tensor> inputs, int warmup, int iterations, double maxSeconds) {
        if (warmup < 0) {
            throw new InvalidInputException("benchmark.warmup", warmup, "0 or more runs");
        }
        if (iterations < 0 || maxSeconds < 0 || (iterations == 0 && maxSeconds == 0)) {
            throw new InvalidInputException("benchmark.iterations", iterations + " iterations / " + maxSeconds + " s",
                    "a positive iteration count, a positive duration, or both (0 = no limit for one of them)");
        }
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            // tensors are created once so the figures measure inference, not conversion
            Map<String, OnnxTensor> ortInputs = toOrt(inputs);
            try {
                for (int i = 0; i < warmup; i++) {
                    session.run(ortInputs).close();
                }
                long deadline = maxSeconds > 0 ? System.nanoTime() + (long) (maxSeconds * 1e9) : Long.MAX_VALUE;
                int limit = iterations > 0 ? iterations : Integer.MAX_VALUE;
                long[] latencies = new long[Math.min(limit, 1 << 16)];
                int count = 0;
                do {
                    long start = System.nanoTime();
                    session.run(ortInputs).close();
                    long end = System.nanoTime();
                    if (count == latencies.length) {
                        latencies = Arrays.copyOf(latencies, latencies.length * 2);
                    }
                    latencies[count++] = end - start;
                    if (end >= deadline) {
                        break;
                    }
                } while (count < limit);
                return summarize(batchOf(inputs), Arrays.copyOf(latencies, count));
            } catch (OrtException e) {
                throw new Pot4jException("INFERENCE_ERROR", "ONNX Runtime failed during the benchmark on "
                        + describe(inputs) + ": " + e.getMessage(), e);
            } finally {
                closeAll(ortInputs.values());
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    static BenchmarkResult summarize(int batch, long[] latencyNanos) {
        long[] sorted = latencyNanos.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
        long total = 0;
        for (long value : sorted) {
            total += value;
        }
        double meanMs = total / 1e6 / n;
        double samplesPerSecond = total == 0 ? 0 : batch * (double) n / (total / 1e9);
        return new BenchmarkResult(batch, n, median / 1e6, nearestRank(sorted, 0.90) / 1e6,
                nearestRank(sorted, 0.99) / 1e6, meanMs, samplesPerSecond);
    }

    private static long nearestRank(long[] sorted, double fraction) {
        int rank = (int) Math.ceil(fraction * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }

    /** Batch = first dimension of the first model input (1 for a scalar input). */
    private int batchOf(Map<String, Tensor> inputs) {
        Tensor first = inputs.get(inputNames.get(0));
        return first == null || first.rank() == 0 ? 1 : (int) first.dim(0);
    }

    private Set<String> selectOutputs(Collection<String> outputs) {
        if (outputs == null || outputs.isEmpty()) {
            return new LinkedHashSet<>(outputNames);
        }
        Set<String> requested = new LinkedHashSet<>();
        for (String name : outputs) {
            if (!outputNames.contains(name)) {
                throw new InvalidInputException("outputs", name, "this session's outputs are " + outputNames
                        + " (open it with SessionOptions.extraOutputs to read intermediate values)");
            }
            requested.add(name);
        }
        return requested;
    }

    /** Validates the inputs against the model and converts them; nothing leaks if one fails. */
    private Map<String, OnnxTensor> toOrt(Map<String, Tensor> inputs) {
        if (inputs == null) {
            throw new InvalidInputException("inputs", null, "a tensor for each model input " + inputNames);
        }
        for (String given : inputs.keySet()) {
            if (!inputInfo.containsKey(given)) {
                throw new InvalidInputException("inputs." + given, given, "model inputs are " + inputNames);
            }
        }
        for (String expected : inputNames) {
            if (!inputs.containsKey(expected) || inputs.get(expected) == null) {
                throw new InvalidInputException("inputs." + expected, null,
                        "the model needs every input of " + inputNames + "; given " + inputs.keySet());
            }
            check(expected, inputs.get(expected), inputInfo.get(expected));
        }
        Map<String, OnnxTensor> converted = new LinkedHashMap<>();
        try {
            for (String name : inputNames) {
                converted.put(name, OrtTensors.toOrt(environment, name, inputs.get(name)));
            }
            return converted;
        } catch (OrtException | RuntimeException e) {
            closeAll(converted.values());
            if (e instanceof Pot4jException pot4j) {
                throw pot4j;
            }
            throw new Pot4jException("INFERENCE_ERROR", "cannot create ONNX Runtime tensors from " + describe(inputs)
                    + ": " + e.getMessage(), e);
        }
    }

    private static void check(String name, Tensor tensor, TensorInfo expected) {
        DataType expectedType = OrtTensors.dataType(expected.onnxType);
        long[] expectedShape = expected.getShape();
        long[] shape = tensor.shape();
        boolean shapeMatches = shape.length == expectedShape.length;
        for (int i = 0; shapeMatches && i < shape.length; i++) {
            shapeMatches = expectedShape[i] < 0 || expectedShape[i] == shape[i];
        }
        if (!shapeMatches || tensor.type() != expectedType) {
            throw new InvalidInputException("inputs." + name, OrtTensors.describe(tensor),
                    "model expects " + expectedType + " " + OrtTensors.describeShape(expected));
        }
    }

    private static String describe(Map<String, Tensor> inputs) {
        List<String> parts = new ArrayList<>();
        inputs.forEach((name, tensor) -> parts.add(name + "=" + (tensor == null ? "null" : OrtTensors.describe(tensor))));
        return parts.toString();
    }

    private static void closeAll(Collection<OnnxTensor> tensors) {
        tensors.forEach(OnnxTensor::close);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the inference session is closed");
        }
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                session.close();
            }
        } catch (OrtException e) {
            throw new Pot4jException("INFERENCE_ERROR", "ONNX Runtime failed to close the session: " + e.getMessage(), e);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
