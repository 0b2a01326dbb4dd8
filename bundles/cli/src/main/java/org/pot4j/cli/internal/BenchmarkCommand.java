package org.pot4j.cli.internal;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.backend.BenchmarkResult;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.command.Command;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.registry.PluginKind;
import org.pot4j.api.registry.PluginRegistry;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.model.OnnxCodec;

/**
 * {@code pot benchmark -m MODEL [-m MODEL ...] [--batch N] [--threads N] [--seconds S] [--rounds N] [--iterations N]
 * [--backend B] [--json]}: latency and throughput of a model on random input of its declared shape; with several
 * models, {@link BenchmarkComparison}: alternated rounds in one process, each model's ratio to the first.
 *
 * <p>Limits (bad input, exit 2, beyond them): --batch from 1 to the largest batch at which every model
 * input has at most {@value #MAX_INPUT_ELEMENTS} values (1 GiB of floats); --threads 0 (the backend's
 * default) to {@value #MAX_THREADS}; --seconds above 0 up to {@value #MAX_SECONDS}.
 */
@Component(property = {Command.PROPERTY + "=benchmark",
        Command.DESCRIPTION + "=benchmark -m MODEL [-m MODEL ...] [--batch N] [--threads N] [--seconds S] [--rounds N]"
                + " [--json]: latency and throughput; several models run alternately, with each one's ratio to the first"
                + " (an input may have up to 2^28 values at that batch; --threads 0-1024; --seconds up to 3600)"})
public class BenchmarkCommand implements Command {
    static final String USAGE = "usage: pot benchmark -m MODEL [-m MODEL ...] [--batch N] [--threads N] [--seconds S]"
            + " [--rounds N] [--iterations N] [--backend B] [--json]";
    static final int MAX_ROUNDS = 1000;
    /** Values per input tensor at the chosen batch: 1 GiB of floats, well inside a Java array and a default heap. */
    static final int MAX_INPUT_ELEMENTS = 1 << 28;
    static final int MAX_THREADS = 1024;
    static final int MAX_SECONDS = 3600;

    private final PluginRegistry registry;

    @Activate
    public BenchmarkCommand(@Reference PluginRegistry registry) {
        this.registry = registry;
    }

    @Override
    public int execute(List<String> arguments, PrintStream out, PrintStream err) {
        return Cli.guard(err, () -> {
            Args args = Args.parse("benchmark", arguments,
                    Set.of("-m", "--model", "--batch", "--threads", "--seconds", "--rounds", "--iterations", "--backend"),
                    Set.of("--json"));
            if (args.help()) {
                out.println(USAGE);
                return Cli.OK;
            }
            List<Path> modelPaths = args.all("-m", "--model").stream().map(p -> Path.of(p).toAbsolutePath().normalize())
                    .toList();
            if (modelPaths.isEmpty()) {
                args.require("-m");
            }
            for (Path path : modelPaths) {
                if (Files.isDirectory(path)) {
                    throw new InvalidInputException("benchmark -m", path, "is a directory, not a file: give an .onnx file");
                }
                if (!Files.isRegularFile(path)) {
                    throw new InvalidInputException("benchmark -m", path, "the model file does not exist");
                }
            }
            Path modelPath = modelPaths.get(0);
            if (modelPaths.size() == 1 && args.get("--rounds") != null) {
                throw new InvalidInputException("benchmark --rounds", args.get("--rounds"),
                        "rounds alternate several models: give two or more -m");
            }
            int rounds = args.integer("--rounds", 5, 1, MAX_ROUNDS);
            int batch = args.integer("--batch", 1, 1, MAX_INPUT_ELEMENTS);
            int threads = args.integer("--threads", 0, 0, MAX_THREADS);
            int iterations = args.integer("--iterations", 1000, 1);
            double seconds = args.number("--seconds", 10, MAX_SECONDS);
            String backendName = args.get("--backend") != null ? args.get("--backend") : "onnxruntime";
            InferenceBackend backend = registry.backend(backendName).orElseThrow(() -> new InvalidInputException(
                    "benchmark --backend", backendName, "available: " + String.join(", ", registry.names(PluginKind.BACKEND))));
            if (modelPaths.size() > 1) {
                List<byte[]> models = new java.util.ArrayList<>();
                List<Map<String, Tensor>> inputs = new java.util.ArrayList<>();
                for (Path path : modelPaths) {
                    byte[] model = Files.readAllBytes(path);
                    models.add(model);
                    inputs.add(randomInputs(OnnxCodec.read(model, path.toString()), batch));
                }
                List<BenchmarkComparison.Figures> figures = BenchmarkComparison.run(backend, models, modelPaths, inputs,
                        SessionOptions.defaults().withThreads(threads), rounds, iterations, seconds / rounds);
                if (args.flag("--json")) {
                    Map<String, Object> json = new LinkedHashMap<>();
                    json.put("backend", backendName);
                    json.put("threads", threads);
                    json.put("batch", batch);
                    json.put("rounds", rounds);
                    json.put("models", BenchmarkComparison.json(figures));
                    out.println(Cli.JSON.writeValueAsString(json));
                } else {
                    BenchmarkComparison.print(figures, backendName, batch, rounds, out);
                }
                return Cli.OK;
            }
            byte[] bytes = Files.readAllBytes(modelPath);
            Graph graph = OnnxCodec.read(bytes, modelPath.toString());
            Map<String, Tensor> inputs = randomInputs(graph, batch);
            BenchmarkResult result;
            try (InferenceSession session = backend.open(bytes, SessionOptions.defaults().withThreads(threads))) {
                result = session.benchmark(inputs, 10, iterations, seconds);
            }
            if (args.flag("--json")) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("model", modelPath.toString());
                json.put("backend", backendName);
                json.put("threads", threads);
                json.put("batch", result.batch());
                json.put("iterations", result.iterations());
                json.put("median_ms", result.medianMs());
                json.put("p90_ms", result.p90Ms());
                json.put("p99_ms", result.p99Ms());
                json.put("mean_ms", result.meanMs());
                json.put("samples_per_second", result.samplesPerSecond());
                out.println(Cli.JSON.writeValueAsString(json));
            } else {
                out.printf("model %s, backend %s, batch %d, %d iterations%n", modelPath, backendName, result.batch(),
                        result.iterations());
                out.printf("latency ms: median %.3f  p90 %.3f  p99 %.3f  mean %.3f%n", result.medianMs(), result.p90Ms(),
                        result.p99Ms(), result.meanMs());
                out.printf("throughput: %.1f samples/s%n", result.samplesPerSecond());
            }
            return Cli.OK;
        });
    }

    /** Element types benchmark can fill: floats at random, integers and booleans with zeros (a valid index). */
    private static final java.util.Set<DataType> FILLABLE = java.util.EnumSet.of(DataType.FLOAT, DataType.INT64,
            DataType.INT32, DataType.INT8, DataType.UINT8, DataType.BOOL);

    /**
     * Uniform [-1, 1) floats (seeded) for every float graph input, zeros for integer and boolean ones (token ids,
     * masks, flags: 0 is valid for any of them); symbolic dimensions take the batch size.
     */
    static Map<String, Tensor> randomInputs(Graph graph, int batch) {
        List<ValueInfo> inputs = graph.inputs().stream().filter(input -> !graph.isInitializer(input.name())).toList();
        for (ValueInfo input : inputs) {
            if (!FILLABLE.contains(input.type()) || input.dims() == null) {
                throw new InvalidInputException("benchmark -m", input.name() + " (" + input.type() + ")",
                        "benchmark supports models whose inputs are tensors of known rank of " + FILLABLE);
            }
            // checked before allocating anything, so a huge batch is bad input rather than an overflow or out of memory
            if (elements(input, batch) > MAX_INPUT_ELEMENTS) {
                int largest = largestBatch(input);
                throw new InvalidInputException("benchmark --batch", batch, largest == 0
                        ? "none fits: input '" + input.name() + "' has more than " + MAX_INPUT_ELEMENTS
                                + " values even at batch 1"
                        : "1 to " + largest + " for this model (input '" + input.name() + "' may have at most "
                                + MAX_INPUT_ELEMENTS + " values)");
            }
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Random random = new Random(0);
        for (ValueInfo input : inputs) {
            long[] shape = shape(input, batch);
            int count = (int) Tensor.elementCount(shape);
            if (input.type() != DataType.FLOAT) {
                Object zeros = switch (input.type()) {
                    case INT64 -> new long[count];
                    case INT32 -> new int[count];
                    default -> new byte[count];
                };
                tensors.put(input.name(), new Tensor(input.type(), shape, zeros));
                continue;
            }
            float[] data = new float[count];
            for (int i = 0; i < data.length; i++) {
                data[i] = random.nextFloat() * 2 - 1;
            }
            tensors.put(input.name(), Tensor.ofFloats(shape, data));
        }
        return tensors;
    }

    private static long[] shape(ValueInfo input, int batch) {
        long[] shape = new long[input.dims().size()];
        for (int i = 0; i < shape.length; i++) {
            Long value = input.dims().get(i).value();
            // a fixed size stays (a constant input [1], a batch fixed to 1: the result then reports that batch)
            shape[i] = value == null || value <= 0 ? batch : value;
        }
        return shape;
    }

    /** The input's element count at {@code batch}, or Long.MAX_VALUE when that overflows. */
    private static long elements(ValueInfo input, int batch) {
        long count = 1;
        for (long dim : shape(input, batch)) {
            try {
                count = Math.multiplyExact(count, dim);
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }
        return count;
    }

    /** The largest batch at which the input fits {@link #MAX_INPUT_ELEMENTS} (0: none); symbolic dimensions grow with it. */
    private static int largestBatch(ValueInfo input) {
        int low = 0;
        int high = MAX_INPUT_ELEMENTS;
        while (low < high) {
            int middle = (int) ((low + (long) high + 1) / 2);
            if (elements(input, middle) <= MAX_INPUT_ELEMENTS) {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        return low;
    }
}
