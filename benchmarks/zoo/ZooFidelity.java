import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fidelity of the zoo's FP32 and INT8 models against PyTorch's FP32 reference outputs, with ONNX Runtime Java (the
 * one pot4j ships): every sample is run alone (batch 1, sliced along the manifest's sample_axis of each input, so
 * fixed-batch, state and scalar-flag inputs work), and per output the mean over samples of the cosine with PyTorch's
 * output; for classifiers also the top-1 agreement of output 0 with PyTorch's. Single-file program (JDK 17 source
 * launcher), run by run_zoo.sh:
 *
 * <pre>java -cp "runtime/target/pot4j/bundle/*" benchmarks/zoo/ZooFidelity.java ZOO RESULTS OUT.json</pre>
 *
 * ZOO: build_zoo.py's folder (manifest.json); RESULTS: the quantize output folder (RESULTS/NAME/optimized/NAME.onnx,
 * missing when quantize failed). Writes OUT.json: model -> {fp32: {...}, int8: {...}}.
 *
 * <p>Variant mode, for zoo_probe.py's experiments: every {@code *.onnx} of DIR (one zoo model's variants: some layers
 * float, another range ...) measured the same way, one line per file on stdout (mean cosine over outputs, then per
 * output), and OUT.json: file -> {cosine: {...}, ...}.
 *
 * <pre>java -cp "runtime/target/pot4j/bundle/*" benchmarks/zoo/ZooFidelity.java --variants ZOO NAME DIR OUT.json</pre>
 */
public final class ZooFidelity {
    public static void main(String[] args) throws Exception {
        if (args.length == 5 && args[0].equals("--variants")) {
            variants(Path.of(args[1]), args[2], Path.of(args[3]), Path.of(args[4]));
            return;
        }
        if (args.length != 3) {
            System.err.println("usage: ZooFidelity ZOO_DIR RESULTS_DIR OUT.json");
            System.exit(2);
        }
        Path zoo = Path.of(args[0]);
        Path results = Path.of(args[1]);
        ObjectMapper json = new ObjectMapper();
        JsonNode manifest = json.readTree(zoo.resolve("manifest.json").toFile());
        ObjectNode out = json.createObjectNode();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (JsonNode model : manifest.get("models")) {
            String name = model.get("name").asText();
            ObjectNode entry = out.putObject(name);
            Path fp32 = zoo.resolve(model.get("file").asText());
            Path int8 = results.resolve(name).resolve("optimized").resolve(name + ".onnx");
            entry.set("fp32", measure(env, json, zoo, model, fp32));
            entry.set("int8", Files.exists(int8) ? measure(env, json, zoo, model, int8) : null);
            System.err.println("fidelity " + name + ": " + entry);
        }
        json.writerWithDefaultPrettyPrinter().writeValue(Path.of(args[2]).toFile(), out);
    }

    private static void variants(Path zoo, String name, Path dir, Path outFile) throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode model = null;
        for (JsonNode m : json.readTree(zoo.resolve("manifest.json").toFile()).get("models")) {
            if (m.get("name").asText().equals(name)) {
                model = m;
            }
        }
        if (model == null) {
            throw new IllegalArgumentException("no model " + name + " in " + zoo.resolve("manifest.json"));
        }
        List<Path> files;
        try (var listing = Files.list(dir)) {
            files = listing.filter(f -> f.toString().endsWith(".onnx")).sorted().toList();
        }
        ObjectNode out = json.createObjectNode();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (Path file : files) {
            ObjectNode r = measure(env, json, zoo, model, file);
            out.set(file.getFileName().toString(), r);
            StringBuilder line = new StringBuilder(file.getFileName().toString());
            if (r.has("cosine")) {
                double sum = 0;
                StringBuilder per = new StringBuilder();
                var it = r.get("cosine").fields();
                while (it.hasNext()) {
                    var e = it.next();
                    sum += e.getValue().asDouble();
                    per.append(String.format(" %s=%.4f", e.getKey(), e.getValue().asDouble()));
                }
                line.append(String.format(" %.4f", sum / r.get("cosine").size())).append(per);
            } else {
                line.append(" error ").append(r.path("error").asText());
            }
            System.out.println(line);
        }
        json.writerWithDefaultPrettyPrinter().writeValue(outFile.toFile(), out);
    }

    private static ObjectNode measure(OrtEnvironment env, ObjectMapper json, Path zoo, JsonNode model, Path onnx) {
        ObjectNode r = json.createObjectNode();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(onnx.toString(), options)) {
                int samples = model.get("samples").asInt();
                Map<String, Npy> inputs = new LinkedHashMap<>();
                for (JsonNode in : model.get("inputs")) {
                    inputs.put(in.get("name").asText(), Npy.read(zoo.resolve(in.get("samples_file").asText())));
                }
                List<JsonNode> outs = new ArrayList<>();
                model.get("outputs").forEach(outs::add);
                List<Npy> refs = new ArrayList<>();
                for (JsonNode o : outs) {
                    refs.add(Npy.read(zoo.resolve(o.get("reference_file").asText())));
                }
                double[] cosSum = new double[outs.size()];
                double[] cosMin = new double[outs.size()];
                Arrays.fill(cosMin, 1);
                int agree = 0;
                Map<String, NodeInfo> info = session.getInputInfo();
                for (int i = 0; i < samples; i++) {
                    Map<String, OnnxTensor> feed = new LinkedHashMap<>();
                    try {
                        for (JsonNode in : model.get("inputs")) {
                            String n = in.get("name").asText();
                            JsonNode axis = in.get("sample_axis");
                            Npy slice = inputs.get(n).slice(axis == null || axis.isNull() ? -1 : axis.asInt(), i);
                            feed.put(n, slice.tensor(env, ((TensorInfo) info.get(n).getInfo()).type));
                        }
                        try (OrtSession.Result result = session.run(feed)) {
                            for (int o = 0; o < outs.size(); o++) {
                                String n = outs.get(o).get("name").asText();
                                OnnxValue v = result.get(n).orElseThrow(() -> new IllegalStateException("no output " + n));
                                float[] got = floats((OnnxTensor) v);
                                Npy ref = refs.get(o).slice(outs.get(o).get("sample_axis").asInt(), i);
                                double c = cosine(got, ref.floats());
                                cosSum[o] += c;
                                cosMin[o] = Math.min(cosMin[o], c);
                                if (o == 0 && model.get("classifier").asBoolean() && argmax(got) == argmax(ref.floats())) {
                                    agree++;
                                }
                            }
                        }
                    } finally {
                        feed.values().forEach(OnnxTensor::close);
                    }
                }
                ObjectNode cos = r.putObject("cosine");
                ObjectNode worst = r.putObject("cosine_min_sample");
                for (int o = 0; o < outs.size(); o++) {
                    cos.put(outs.get(o).get("name").asText(), cosSum[o] / samples);
                    worst.put(outs.get(o).get("name").asText(), cosMin[o]);
                }
                if (model.get("classifier").asBoolean()) {
                    r.put("top1_agreement", agree / (double) samples);
                }
            }
        } catch (Exception | Error e) {
            String m = String.valueOf(e.getMessage());
            r.put("error", e.getClass().getSimpleName() + ": " + m.lines().findFirst().orElse(""));
        }
        return r;
    }

    private static float[] floats(OnnxTensor t) {
        FloatBuffer b = t.getFloatBuffer();
        if (b == null) {
            throw new IllegalStateException("output " + t.getInfo() + " is not float");
        }
        float[] a = new float[b.remaining()];
        b.get(a);
        return a;
    }

    private static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalStateException("output has " + a.length + " elements, reference " + b.length);
        }
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        if (na == 0 && nb == 0) {
            return 1;
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }

    private static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }

    /** A C-order .npy array of float32, int64 or bool, kept as raw little-endian bytes. */
    record Npy(String descr, long[] shape, byte[] data) {
        private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
        private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

        static Npy read(Path p) throws Exception {
            byte[] b = Files.readAllBytes(p);
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            int major = b[6];
            int headerLen = major == 1 ? Short.toUnsignedInt(bb.getShort(8)) : bb.getInt(8);
            int start = major == 1 ? 10 : 12;
            String header = new String(b, start, headerLen, StandardCharsets.ISO_8859_1);
            if (header.contains("'fortran_order': True")) {
                throw new IllegalArgumentException(p + ": Fortran order");
            }
            Matcher d = DESCR.matcher(header);
            Matcher s = SHAPE.matcher(header);
            if (!d.find() || !s.find()) {
                throw new IllegalArgumentException(p + ": bad header " + header);
            }
            long[] shape = Arrays.stream(s.group(1).split(",")).map(String::trim).filter(x -> !x.isEmpty())
                    .mapToLong(Long::parseLong).toArray();
            return new Npy(d.group(1), shape, Arrays.copyOfRange(b, start + headerLen, b.length));
        }

        int itemSize() {
            return switch (descr) {
                case "<f4" -> 4;
                case "<i8" -> 8;
                case "|b1", "|u1" -> 1;
                default -> throw new IllegalArgumentException("dtype " + descr);
            };
        }

        /** Sample i along axis (the axis becomes 1); axis -1: element i of a 1-D array as a 0-d array. */
        Npy slice(int axis, int i) {
            int item = itemSize();
            if (axis < 0) {
                return new Npy(descr, new long[0], Arrays.copyOfRange(data, i * item, (i + 1) * item));
            }
            long outer = 1, inner = 1;
            for (int k = 0; k < axis; k++) {
                outer *= shape[k];
            }
            for (int k = axis + 1; k < shape.length; k++) {
                inner *= shape[k];
            }
            byte[] r = new byte[(int) (outer * inner * item)];
            for (long o = 0; o < outer; o++) {
                System.arraycopy(data, (int) (((o * shape[axis] + i) * inner) * item), r, (int) (o * inner * item),
                        (int) (inner * item));
            }
            long[] s = shape.clone();
            s[axis] = 1;
            return new Npy(descr, s, r);
        }

        float[] floats() {
            if (!descr.equals("<f4")) {
                throw new IllegalArgumentException("reference dtype " + descr);
            }
            FloatBuffer f = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] a = new float[f.remaining()];
            f.get(a);
            return a;
        }

        OnnxTensor tensor(OrtEnvironment env, OnnxJavaType type) throws Exception {
            ByteBuffer direct = ByteBuffer.allocateDirect(data.length).order(ByteOrder.nativeOrder());
            direct.put(ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN)).flip();
            return switch (descr) {
                case "<f4" -> OnnxTensor.createTensor(env, direct.asFloatBuffer(), shape);
                case "<i8" -> OnnxTensor.createTensor(env, direct.asLongBuffer(), shape);
                case "|b1" -> OnnxTensor.createTensor(env, direct, shape, OnnxJavaType.BOOL);
                default -> throw new IllegalArgumentException("dtype " + descr + " for " + type);
            };
        }
    }
}
