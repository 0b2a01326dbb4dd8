package org.pot4j.backend.onnxruntime.internal;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
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
        return createSession(modelBytes, effective);
    }

    @Override
    public InferenceSession open(Graph model, SessionOptions options) {
        Objects.requireNonNull(model, "model");
        SessionOptions effective = effective(options);
        return createSession(ExtraOutputs.serialize(model, effective.extraOutputs()), effective);
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

    private InferenceSession createSession(byte[] modelBytes, SessionOptions options) {
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
                ortOptions.setOptimizedModelFilePath(options.optimizedModelPath().toAbsolutePath().toString());
            }
            OrtSession session = environment.createSession(modelBytes, ortOptions);
            return new OrtInferenceSession(environment, session);
        } catch (OrtException e) {
            throw new Pot4jException("MODEL_ERROR", "ONNX Runtime cannot load the model ("
                    + modelBytes.length + " bytes): " + e.getMessage(), e);
        }
    }
}
