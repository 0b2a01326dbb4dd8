package org.pot4j.stats;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.pot4j.api.backend.BenchmarkResult;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.tensor.Tensor;

/**
 * A minimal InferenceSession over ONNX Runtime for tests and the benchmark, standing in for the
 * backend bundle: intermediate tensors become extra graph outputs; a requested model input is
 * served from the inputs. Counts {@link #run} calls.
 */
final class OrtTestSession implements InferenceSession {
    private final OrtEnvironment environment = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final List<String> inputNames;
    private final List<String> outputNames;
    private final Set<String> ortOutputs;
    final AtomicInteger runs = new AtomicInteger();

    OrtTestSession(Path model, Set<String> extraOutputs, int threads) throws IOException, OrtException {
        OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(model));
        OnnxMl.GraphProto.Builder graph = proto.getGraph().toBuilder();
        Set<String> inputs = new LinkedHashSet<>();
        Set<String> initializers = new LinkedHashSet<>();
        graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
        graph.getInputList().forEach(v -> {
            if (!initializers.contains(v.getName())) inputs.add(v.getName());
        });
        List<String> outputs = new ArrayList<>();
        graph.getOutputList().forEach(v -> outputs.add(v.getName()));
        for (String extra : extraOutputs) {
            if (outputs.contains(extra)) continue;
            if (!inputs.contains(extra)) {
                graph.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(extra)
                        .setType(OnnxMl.TypeProto.newBuilder().setTensorType(
                                OnnxMl.TypeProto.Tensor.newBuilder().setElemType(1))));
            }
            outputs.add(extra);
        }
        byte[] bytes = proto.toBuilder().setGraph(graph).build().toByteArray();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        if (threads > 0) options.setIntraOpNumThreads(threads);
        this.session = environment.createSession(bytes, options);
        this.inputNames = List.copyOf(inputs);
        this.outputNames = List.copyOf(outputs);
        this.ortOutputs = new LinkedHashSet<>(outputs);
        this.ortOutputs.removeAll(inputs);
    }

    @Override
    public List<String> inputNames() {
        return inputNames;
    }

    @Override
    public List<String> outputNames() {
        return outputNames;
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs, Collection<String> outputs) {
        runs.incrementAndGet();
        Set<String> wanted = new LinkedHashSet<>(outputs.isEmpty() ? outputNames : outputs);
        Map<String, Tensor> result = new LinkedHashMap<>();
        Set<String> fetch = new LinkedHashSet<>();
        for (String name : wanted) {
            if (inputs.containsKey(name)) result.put(name, inputs.get(name));
            else fetch.add(name);
        }
        if (fetch.isEmpty()) return result;
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Tensor> input : inputs.entrySet()) {
                feed.put(input.getKey(), OnnxTensor.createTensor(environment,
                        FloatBuffer.wrap(input.getValue().floats()), input.getValue().shape()));
            }
            try (OrtSession.Result out = session.run(feed, fetch)) {
                for (Map.Entry<String, OnnxValue> entry : out) {
                    OnnxTensor tensor = (OnnxTensor) entry.getValue();
                    long[] shape = tensor.getInfo().getShape();
                    FloatBuffer buffer = tensor.getFloatBuffer();  // already a copy: take its array if it has one
                    float[] data;
                    if (buffer.hasArray() && buffer.arrayOffset() == 0 && buffer.position() == 0
                            && buffer.array().length == buffer.remaining()) {
                        data = buffer.array();
                    } else {
                        data = new float[buffer.remaining()];
                        buffer.get(data);
                    }
                    result.put(entry.getKey(), Tensor.ofFloats(shape, data));
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
        return result;
    }

    @Override
    public BenchmarkResult benchmark(Map<String, Tensor> inputs, int warmup, int iterations, double maxSeconds) {
        throw new UnsupportedOperationException("not needed by the statistics tests");
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Non-initializer inputs of every Conv, MatMul and Gemm node: the activations POT quantizes. */
    static List<String> activationInputsOfWeightedOps(Path model) throws IOException {
        OnnxMl.GraphProto graph = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(model)).getGraph();
        Set<String> initializers = new LinkedHashSet<>();
        graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
        Set<String> constants = new LinkedHashSet<>();
        Set<String> activations = new LinkedHashSet<>();
        for (OnnxMl.NodeProto node : graph.getNodeList()) {
            if (node.getOpType().equals("Constant")) constants.addAll(node.getOutputList());
            if (Set.of("Conv", "MatMul", "Gemm").contains(node.getOpType())) {
                int limit = node.getOpType().equals("Conv") ? 1 : 2; // Conv's weight and bias are never activations
                for (int i = 0; i < Math.min(limit, node.getInputCount()); i++) {
                    String input = node.getInput(i);
                    if (!initializers.contains(input) && !constants.contains(input)) activations.add(input);
                }
            }
        }
        return new ArrayList<>(activations);
    }
}
