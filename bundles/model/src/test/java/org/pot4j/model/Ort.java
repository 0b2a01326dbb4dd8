package org.pot4j.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs model bytes on ONNX Runtime (CPU) for the tests. */
final class Ort implements AutoCloseable {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    Ort(byte[] model) throws OrtException {
        this(model, OrtSession.SessionOptions.OptLevel.BASIC_OPT, null);
    }

    Ort(byte[] model, OrtSession.SessionOptions.OptLevel level, String optimizedModelPath) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setOptimizationLevel(level);
            if (optimizedModelPath != null) {
                options.setOptimizedModelFilePath(optimizedModelPath);
            }
            session = ENV.createSession(model, options);
        }
    }

    /** Runs a batch of 1x28x28 images through input "input"; returns each requested output as [batch][k]. */
    Map<String, float[][]> run(float[][] images, List<String> outputs) throws OrtException {
        int batch = images.length;
        FloatBuffer buffer = FloatBuffer.allocate(batch * 784);
        for (float[] image : images) {
            buffer.put(image);
        }
        buffer.rewind();
        Map<String, float[][]> result = new LinkedHashMap<>();
        try (OnnxTensor input = OnnxTensor.createTensor(ENV, buffer, new long[] {batch, 1, 28, 28});
             OrtSession.Result out = session.run(Map.of("input", input), new java.util.LinkedHashSet<>(outputs))) {
            for (String name : outputs) {
                OnnxTensor tensor = (OnnxTensor) out.get(name).orElseThrow();
                float[] flat = tensor.getFloatBuffer().array();
                int per = flat.length / batch;
                float[][] rows = new float[batch][per];
                for (int b = 0; b < batch; b++) {
                    System.arraycopy(flat, b * per, rows[b], 0, per);
                }
                result.put(name, rows);
            }
        }
        return result;
    }

    float[][] logits(float[][] images) throws OrtException {
        return run(images, List.of("logits")).get("logits");
    }

    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
