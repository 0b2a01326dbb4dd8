package org.pot4j.testsupport;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Outlier-channel variants of the test models, built from the originals by function-preserving rescaling.
 * <p>
 * cnn_relu_outlier, built from cnn_relu: the same network with a function-preserving per-channel rescaling, so that
 * some activation channels are orders of magnitude larger than others (a hard case for per-tensor activation
 * quantization). The output channels c of the first Conv (weights and bias) are multiplied by S1[c] and the second
 * Conv's input channels divided by it; the fourth Conv's output channels by S4[c], and the columns of the first Gemm
 * that read channel c divided by it. ReLU and MaxPool commute with a positive scale, so the outputs equal cnn_relu's
 * up to float rounding. With float32 arithmetic as below the result is byte for byte the team's original file
 * (sha256 in testdata/models/models.json), which {@link #build} checks.
 * <p>
 * mobilenet_v2_tiny_outlier, built from mobilenet_v2_tiny by {@link #buildMobileNet}: the same rescaling across two
 * linear bottlenecks (a projection Conv followed directly by the next block's expand Conv, with no activation and no
 * residual between them), one early ({@code features.1 conv.1 -> features.2 conv.0}, 8 channels) and one late
 * ({@code features.17 conv.2 -> features.18.0}, 160 channels), with seeded log-uniform factors in [1/16, 128].
 */
final class OutlierModel {
    static final String SHA256 = "9d44147b5474de6a5adec504d54ef32d382bd88ad39a54ec0d3624c9238801ce";
    private static final String CNN_RELU_SHA256 = "6688e95c2fe2645d12d9464e0fcb11376337a14a230cd4a6e5b947938db8a678";

    /** The scale of each output channel of the first Conv (onnx::Conv_48, 32 channels). */
    private static final float[] S1 = {
            1.5665466f, 2.197721f, 0.074649066f, 0.18221264f, 4.49242f, 11.353552f, 65.954384f, 16.478554f,
            5.632966f, 0.20439766f, 1.9834999f, 0.5622126f, 0.19439077f, 8.400154f, 25.800892f, 0.2663108f,
            0.10526173f, 2.698085f, 5.9008994f, 0.35017535f, 4.4932427f, 1.5809671f, 0.08457416f, 0.14770834f,
            0.20064357f, 30.88557f, 1.608804f, 2.311943f, 6.119321f, 74.74663f, 18.61485f, 9.655034f
    };
    /** The scale of each output channel of the fourth Conv (onnx::Conv_57, 64 channels). */
    private static final float[] S4 = {
            2.6011224f, 4.2394648f, 0.40431052f, 5.96558f, 2.31122f, 9.721366f, 0.1774195f, 0.43809167f, 111.568184f,
            1.343248f, 127.942764f, 16.560669f, 0.1950201f, 0.59479266f, 9.817279f, 0.5003541f, 1.5916846f,
            0.31965378f, 0.1414489f, 0.13413472f, 125.77869f, 0.0750738f, 2.6851006f, 6.764302f, 0.29558325f,
            0.21450745f, 2.243272f, 17.341848f, 1.5647671f, 0.7635464f, 1.5772461f, 21.65337f, 12.585355f,
            0.18679486f, 1.6003331f, 1.465994f, 0.54982454f, 0.09723266f, 2.2718036f, 0.76599896f, 18.414057f,
            9.713354f, 0.14244847f, 5.4030714f, 0.5433547f, 2.8872647f, 0.37563586f, 29.245188f, 0.3414908f,
            10.371291f, 2.6310573f, 5.594825f, 24.913857f, 0.111546315f, 1.0714707f, 90.10003f, 4.8545403f,
            0.46369123f, 0.5989993f, 6.07438f, 3.037494f, 0.24392977f, 28.727158f, 0.7593065f
    };
    /** Spatial positions per channel of the flattened input of the first Gemm (64 x 7 x 7 = 3136). */
    private static final int GEMM_POSITIONS = 49;

    private static final String MOBILENET_SHA256 = "4eabe2dcefb8fc60136705c4378ac81fd397afb62e00320ace1fe2b6243fbf29";
    /** Early pair: projection Conv [8, 16, 1, 1] + bias, then the expand Conv [48, 8, 1, 1]. */
    private static final String[] EARLY = {"onnx::Conv_544", "onnx::Conv_545", "onnx::Conv_547"};
    /** Late pair: projection Conv [160, 480, 1, 1] + bias, then the last Conv [1280, 160, 1, 1]. */
    private static final String[] LATE = {"onnx::Conv_688", "onnx::Conv_689", "onnx::Conv_691"};

    private OutlierModel() {
    }

    /** mobilenet_v2_tiny_outlier's bytes from mobilenet_v2_tiny's (deterministic: fixed seeds, float32 arithmetic). */
    static byte[] buildMobileNet(byte[] mobileNet) {
        if (!sha256(mobileNet).equals(MOBILENET_SHA256)) {
            throw new IllegalStateException("not mobilenet_v2_tiny.onnx (sha256 " + sha256(mobileNet) + ")");
        }
        byte[] model = mobileNet.clone();
        float[] early = factors(8, 14);
        scale(floats(model, EARLY[0]), early, 16, 1, true);
        scale(floats(model, EARLY[1]), early, 1, 1, true);
        scale(floats(model, EARLY[2]), early, 1, 48, false);
        float[] late = factors(160, 15);
        scale(floats(model, LATE[0]), late, 480, 1, true);
        scale(floats(model, LATE[1]), late, 1, 1, true);
        scale(floats(model, LATE[2]), late, 1, 1280, false);
        return model;
    }

    /** {@code n} factors, log-uniform in [1/16, 128], from a fixed seed. */
    static float[] factors(int n, long seed) {
        java.util.Random random = new java.util.Random(seed);
        float[] factors = new float[n];
        for (int i = 0; i < n; i++) {
            factors[i] = (float) Math.exp(Math.log(1.0 / 16) + random.nextDouble() * Math.log(128.0 * 16));
        }
        return factors;
    }

    /** cnn_relu_outlier's bytes from cnn_relu's; fails unless the input is cnn_relu and the result the original. */
    static byte[] build(byte[] cnnRelu) {
        if (!sha256(cnnRelu).equals(CNN_RELU_SHA256)) {
            throw new IllegalStateException("not cnn_relu.onnx (sha256 " + sha256(cnnRelu) + ")");
        }
        byte[] model = cnnRelu.clone();
        // conv1 [32, 1, 3, 3] and its bias: output channel c times S1[c]; conv2 [32, 32, 3, 3]: input channel c / S1[c]
        scale(floats(model, "onnx::Conv_48"), S1, 9, 1, true);
        scale(floats(model, "onnx::Conv_49"), S1, 1, 1, true);
        scale(floats(model, "onnx::Conv_51"), S1, 9, 32, false);
        // conv4 [64, 64, 3, 3] and its bias times S4; Gemm [128, 3136]: column j reads channel j / 49, divided by S4
        scale(floats(model, "onnx::Conv_57"), S4, 64 * 9, 1, true);
        scale(floats(model, "onnx::Conv_58"), S4, 1, 1, true);
        scale(floats(model, "classifier.1.weight"), S4, GEMM_POSITIONS, 128, false);
        String sha = sha256(model);
        if (!sha.equals(SHA256)) {
            throw new IllegalStateException("built cnn_relu_outlier has sha256 " + sha + ", not the original's " + SHA256);
        }
        return model;
    }

    /**
     * Element i of a tensor laid out as [rows, scales.length, block] is multiplied (or divided) by
     * scales[(i / block) % scales.length].
     */
    private static void scale(ByteBuffer data, float[] scales, int block, int rows, boolean multiply) {
        int n = data.remaining() / 4;
        if (n != rows * scales.length * block) {
            throw new IllegalStateException("unexpected tensor size " + n);
        }
        for (int i = 0; i < n; i++) {
            float s = scales[(i / block) % scales.length];
            float w = data.getFloat(data.position() + 4 * i);
            data.putFloat(data.position() + 4 * i, multiply ? w * s : w / s);
        }
    }

    /** The raw_data of the initializer {@code name} of an ONNX ModelProto, as little-endian floats in place. */
    private static ByteBuffer floats(byte[] model, String name) {
        Wire modelProto = new Wire(model, 0, model.length);
        while (modelProto.next()) {
            if (modelProto.field == 7 && modelProto.type == 2) { // ModelProto.graph
                Wire graph = modelProto.message();
                while (graph.next()) {
                    if (graph.field == 5 && graph.type == 2) { // GraphProto.initializer
                        Wire tensor = graph.message();
                        String tensorName = null;
                        int rawStart = -1;
                        int rawLength = 0;
                        while (tensor.next()) {
                            if (tensor.field == 8 && tensor.type == 2) { // TensorProto.name
                                tensorName = new String(model, tensor.start, tensor.length,
                                        java.nio.charset.StandardCharsets.UTF_8);
                            } else if (tensor.field == 9 && tensor.type == 2) { // TensorProto.raw_data
                                rawStart = tensor.start;
                                rawLength = tensor.length;
                            }
                        }
                        if (name.equals(tensorName) && rawStart >= 0) {
                            return ByteBuffer.wrap(model, rawStart, rawLength).slice().order(ByteOrder.LITTLE_ENDIAN);
                        }
                    }
                }
            }
        }
        throw new IllegalStateException("no initializer " + name + " with raw data");
    }

    /** A cursor over the fields of a protobuf message: field number, wire type, and a length-delimited value. */
    private static final class Wire {
        private final byte[] bytes;
        private int position;
        private final int end;
        int field;
        int type;
        int start;
        int length;

        Wire(byte[] bytes, int start, int end) {
            this.bytes = bytes;
            this.position = start;
            this.end = end;
        }

        boolean next() {
            if (position >= end) {
                return false;
            }
            long key = varint();
            field = (int) (key >>> 3);
            type = (int) (key & 7);
            switch (type) {
                case 0 -> varint();
                case 1 -> position += 8;
                case 5 -> position += 4;
                case 2 -> {
                    length = (int) varint();
                    start = position;
                    position += length;
                }
                default -> throw new IllegalStateException("unsupported protobuf wire type " + type);
            }
            return true;
        }

        Wire message() {
            return new Wire(bytes, start, start + length);
        }

        private long varint() {
            long value = 0;
            for (int shift = 0; ; shift += 7) {
                byte b = bytes[position++];
                value |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    return value;
                }
            }
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
