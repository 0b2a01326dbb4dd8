package org.pot4j.stats;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.pot4j.api.backend.BenchmarkResult;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.tensor.Tensor;

/**
 * An in-test model: input "x" [N, 4] → "act" [N, 16, 32, 32] and "out" [N, 2], each sample's
 * output a deterministic function of that sample's input only. Optionally rejects batches > 1, as
 * a model with a fixed batch dimension does. Counts runs.
 */
final class SyntheticSession implements InferenceSession {
    static final int CHANNELS = 16, SIDE = 32;
    final AtomicInteger runs = new AtomicInteger();
    private final boolean fixedBatch;

    SyntheticSession(boolean fixedBatch) {
        this.fixedBatch = fixedBatch;
    }

    static Map<String, Tensor> input(int sample) {
        return Map.of("x", Tensor.ofFloats(new long[] {1, 4},
                new float[] {sample % 7, (sample * 13) % 11 - 5, (float) Math.sin(sample), 0.5f}));
    }

    @Override
    public List<String> inputNames() {
        return List.of("x");
    }

    @Override
    public List<String> outputNames() {
        return List.of("out", "act");
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs, Collection<String> outputs) {
        runs.incrementAndGet();
        Tensor x = inputs.get("x");
        int n = (int) x.dim(0);
        if (fixedBatch && n != 1) {
            throw new IllegalArgumentException("model has batch dimension 1, got " + n);
        }
        float[] in = x.floats();
        int perSample = CHANNELS * SIDE * SIDE;
        float[] act = new float[n * perSample];
        float[] out = new float[n * 2];
        for (int s = 0; s < n; s++) {
            float a = in[s * 4], b = in[s * 4 + 1], c = in[s * 4 + 2];
            for (int ch = 0; ch < CHANNELS; ch++) {
                for (int p = 0; p < SIDE * SIDE; p++) {
                    float v = (float) (Math.sin(a * (ch + 1) + p * 0.37) * (b + ch) + c * (p % 13));
                    act[s * perSample + ch * SIDE * SIDE + p] = Math.max(v, -1f) * (ch == 3 ? 20 : 1);
                }
            }
            out[s * 2] = a + b;
            out[s * 2 + 1] = a * c;
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        if (outputs.isEmpty() || outputs.contains("act")) {
            result.put("act", Tensor.ofFloats(new long[] {n, CHANNELS, SIDE, SIDE}, act));
        }
        if (outputs.isEmpty() || outputs.contains("out")) {
            result.put("out", Tensor.ofFloats(new long[] {n, 2}, out));
        }
        return result;
    }

    @Override
    public BenchmarkResult benchmark(Map<String, Tensor> inputs, int warmup, int iterations, double maxSeconds) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {
    }
}
