package org.pot4j.stats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.pot4j.api.backend.BenchmarkResult;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.backend.onnxruntime.internal.OnnxRuntimeBackend;
import org.pot4j.model.OnnxCodec;

/** Real sessions for tests and the benchmark: the team's ONNX Runtime backend, used as a plain library. */
final class RealModels {
    private static final OnnxRuntimeBackend BACKEND = new OnnxRuntimeBackend();

    private RealModels() {
    }

    /** A session on {@code model} with {@code extraOutputs}, counting its runs. */
    static CountingSession open(Path model, Set<String> extraOutputs, int threads) throws IOException {
        return new CountingSession(BACKEND.open(Files.readAllBytes(model),
                SessionOptions.defaults().withThreads(threads).withExtraOutputs(extraOutputs)));
    }

    /** Non-initializer inputs of every Conv, MatMul and Gemm node: the activations POT quantizes. */
    static List<String> activationInputsOfWeightedOps(Path model) {
        Graph graph = OnnxCodec.read(model);
        Set<String> constants = new LinkedHashSet<>();
        Set<String> activations = new LinkedHashSet<>();
        for (Node node : graph.nodes()) {
            if (node.opType().equals("Constant")) constants.addAll(node.outputs());
            if (Set.of("Conv", "MatMul", "Gemm").contains(node.opType())) {
                int limit = node.opType().equals("Conv") ? 1 : 2; // Conv's weight and bias are never activations
                for (int i = 0; i < Math.min(limit, node.inputs().size()); i++) {
                    String input = node.input(i);
                    if (!graph.isInitializer(input) && !constants.contains(input)) activations.add(input);
                }
            }
        }
        return new ArrayList<>(activations);
    }

    /** Delegates to a real session and counts {@link #run} calls: proves how many passes a collection made. */
    static class CountingSession implements InferenceSession {
        final AtomicInteger runs = new AtomicInteger();
        private final InferenceSession delegate;

        CountingSession(InferenceSession delegate) {
            this.delegate = delegate;
        }

        @Override
        public List<String> inputNames() {
            return delegate.inputNames();
        }

        @Override
        public List<String> outputNames() {
            return delegate.outputNames();
        }

        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs, Collection<String> outputs) {
            runs.incrementAndGet();
            return delegate.run(inputs, outputs);
        }

        @Override
        public BenchmarkResult benchmark(Map<String, Tensor> inputs, int warmup, int iterations, double maxSeconds) {
            return delegate.benchmark(inputs, warmup, iterations, maxSeconds);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
