package org.pot4j.backend.onnxruntime.internal;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.backend.SessionOptions.OptimizationLevel;
import org.pot4j.api.graph.Graph;
import org.pot4j.model.OnnxCodec;

/**
 * {@link InferenceBackend} on ONNX Runtime's CPU execution provider. The native library is
 * loaded on the first {@code open}, not at activation, so the bundle starts fast and starts even
 * where the natives cannot load (the failure is then reported by {@code open}).
 */
@Component(service = InferenceBackend.class, property = InferenceBackend.PROPERTY + "=" + OnnxRuntimeBackend.NAME,
        configurationPid = OnnxRuntimeBackend.PID)
@Designate(ocd = OnnxRuntimeBackendConfig.class)
public final class OnnxRuntimeBackend implements InferenceBackend {
    public static final String NAME = "onnxruntime";
    public static final String PID = "org.pot4j.backend.onnxruntime";

    private final int defaultIntraOpThreads;
    private final OptimizationLevel defaultOptimizationLevel;

    @Activate
    public OnnxRuntimeBackend(OnnxRuntimeBackendConfig config, java.util.Map<String, Object> properties) {
        this(config.defaultIntraOpThreads(), optimizationLevel(config));
        // a key this backend does not read is said, not ignored
        org.pot4j.config.support.ConfigKeys.report(PID, OnnxRuntimeBackendConfig.class, properties,
                InferenceBackend.PROPERTY).forEach(System.err::println);
    }

    private static OptimizationLevel optimizationLevel(OnnxRuntimeBackendConfig config) {
        try {
            return config.defaultOptimizationLevel();
        } catch (IllegalArgumentException e) {
            // DS converts the configured string to the enum lazily; say which setting is wrong
            throw new InvalidInputException(PID + ".defaultOptimizationLevel", e.getMessage(),
                    "one of " + java.util.Arrays.toString(OptimizationLevel.values()), e);
        }
    }

    /** Backend with ONNX Runtime's own thread default and full graph optimization. */
    public OnnxRuntimeBackend() {
        this(0, OptimizationLevel.ALL);
    }

    public OnnxRuntimeBackend(int defaultIntraOpThreads, OptimizationLevel defaultOptimizationLevel) {
        if (defaultIntraOpThreads < 0) {
            throw new InvalidInputException(PID + ".defaultIntraOpThreads", defaultIntraOpThreads, "0 (ONNX Runtime's choice) or more");
        }
        this.defaultIntraOpThreads = defaultIntraOpThreads;
        this.defaultOptimizationLevel = defaultOptimizationLevel == null ? OptimizationLevel.ALL : defaultOptimizationLevel;
    }

    @Override
    public InferenceSession open(byte[] onnxModel, SessionOptions options) {
        Objects.requireNonNull(onnxModel, "onnxModel");
        SessionOptions effective = effective(options);
        byte[] modelBytes = effective.extraOutputs().isEmpty()
                ? onnxModel
                : ExtraOutputs.addToModel(onnxModel, effective.extraOutputs());
        return createSession((environment, ortOptions) -> environment.createSession(modelBytes, ortOptions),
                modelBytes.length, false, effective);
    }

    /**
     * A model with 1 GB of weights or more is opened from a file ONNX Runtime reads itself, the weights in a side
     * file (external data) written straight from the graph's tensors: no byte[] of the model is made in Java nor
     * copied into ONNX Runtime (which held the serialized model, its parsed proto and the session's tensors at once:
     * three copies of the weights at session creation), and a model whose weights exceed protobuf's 2 GB opens. The
     * files are deleted once the session is created (ONNX Runtime has read or mapped them by then). Smaller models
     * are opened from bytes.
     */
    @Override
    public InferenceSession open(Graph model, SessionOptions options) {
        Objects.requireNonNull(model, "model");
        SessionOptions effective = effective(options);
        Graph graph = ExtraOutputs.withExtraOutputs(model, effective.extraOutputs());
        if (weightBytes(graph) < FROM_FILE_WEIGHT_BYTES) {
            // below 1 GB of weights, from bytes as before: a session opened from a file with external data ran a
            // different latency (MinMax's RuntimePlacementTest kept a slow int8 Conv), and the optimized model ONNX
            // Runtime saves for a caller stays self-contained (from a file it would point to the deleted side file)
            byte[] bytes = OnnxCodec.write(graph);
            return createSession((environment, ortOptions) -> environment.createSession(bytes, ortOptions),
                    bytes.length, false, effective);
        }
        Path folder = null;
        try {
            folder = Files.createTempDirectory("pot4j-session");
            Path file = folder.resolve("model.onnx");
            OnnxCodec.write(graph, file, true);
            long bytes = Files.size(file) + Files.size(file.resolveSibling(file.getFileName() + ".data"));
            return createSession((environment, ortOptions) -> environment.createSession(file.toString(), ortOptions),
                    bytes, true, effective);
        } catch (IOException e) {
            throw new Pot4jException("INFERENCE_ERROR", "cannot write the model for ONNX Runtime to "
                    + (folder == null ? "a temporary folder" : folder) + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(folder);
        }
    }

    /** From this size of weights on, a session is opened from a file with external data (see open). */
    private static final long FROM_FILE_WEIGHT_BYTES = 1L << 30;

    private static long weightBytes(Graph graph) {
        long bytes = 0;
        for (var tensor : graph.initializers().values()) {
            bytes += (long) tensor.size() * Math.max(1, tensor.type().byteSize());
        }
        return bytes;
    }

    private static void deleteQuietly(Path folder) {
        if (folder == null) {
            return;
        }
        try (var files = Files.list(folder)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(folder);
        } catch (IOException ignored) {
            // a leftover temporary folder is harmless; the session is what matters
        }
    }

    /** How a session is created from what ONNX Runtime reads (bytes or a file). */
    @FunctionalInterface
    private interface SessionSource {
        OrtSession create(OrtEnvironment environment, OrtSession.SessionOptions options) throws OrtException;
    }

    private SessionOptions effective(SessionOptions options) {
        if (options == null) {
            return SessionOptions.defaults().withThreads(defaultIntraOpThreads)
                    .withOptimization(defaultOptimizationLevel, null);
        }
        if (options.intraOpThreads() < 0 || options.interOpThreads() < 0) {
            throw new InvalidInputException("session.threads",
                    options.intraOpThreads() + " intra-op / " + options.interOpThreads() + " inter-op",
                    "0 (default) or a positive thread count");
        }
        return options.intraOpThreads() == 0 ? options.withThreads(defaultIntraOpThreads) : options;
    }

    /** {@code fromFile}: the model is read from a file whose weights are external data. */
    private InferenceSession createSession(SessionSource source, long modelBytes, boolean fromFile,
                                           SessionOptions options) {
        OrtEnvironment environment = OrtRuntime.environment();
        try (OrtSession.SessionOptions ortOptions = new OrtSession.SessionOptions()) {
            if (options.intraOpThreads() > 0) {
                ortOptions.setIntraOpNumThreads(options.intraOpThreads());
            }
            if (options.interOpThreads() > 0) {
                ortOptions.setInterOpNumThreads(options.interOpThreads());
            }
            ortOptions.setOptimizationLevel(switch (options.optimizationLevel()) {
                case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            if (!options.extraOutputs().isEmpty()) {
                // a statistics session returns many large activations per batch: ONNX Runtime's CPU arena would
                // keep its largest batch's worth of buffers for the session's life, and the memory pattern plans
                // for them too; plain allocations give that memory back after each run
                ortOptions.setCPUArenaAllocator(false);
                ortOptions.setMemoryPatternOptimization(false);
            }
            if (options.optimizedModelPath() != null) {
                Path optimized = options.optimizedModelPath().toAbsolutePath();
                ortOptions.setOptimizedModelFilePath(optimized.toString());
                if (fromFile) {
                    // weights read from external data are saved beside the optimized model, where a reader finds them
                    ortOptions.addConfigEntry("session.optimized_model_external_initializers_file_name",
                        optimized.getFileName() + ".data");
                    ortOptions.addConfigEntry("session.optimized_model_external_initializers_min_size_in_bytes",
                            "1024");
                }
            }
            OrtSession session = source.create(environment, ortOptions);
            return new OrtInferenceSession(environment, session);
        } catch (OrtException e) {
            throw new Pot4jException("MODEL_ERROR", "ONNX Runtime cannot load the model ("
                    + modelBytes + " bytes): " + e.getMessage(), e);
        }
    }
}
