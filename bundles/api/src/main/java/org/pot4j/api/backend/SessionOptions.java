package org.pot4j.api.backend;

import java.nio.file.Path;
import java.util.Set;

/**
 * How to open a session. {@code intraOpThreads} 0 means the backend's default;
 * {@code extraOutputs} names intermediate values to return besides the model outputs;
 * {@code optimizedModelPath}, when set, is where the backend saves its optimized graph.
 */
public record SessionOptions(int intraOpThreads, int interOpThreads, OptimizationLevel optimizationLevel,
                             Set<String> extraOutputs, Path optimizedModelPath) {

    public enum OptimizationLevel { NONE, BASIC, EXTENDED, ALL }

    public SessionOptions {
        extraOutputs = extraOutputs == null ? Set.of() : Set.copyOf(extraOutputs);
        optimizationLevel = optimizationLevel == null ? OptimizationLevel.ALL : optimizationLevel;
    }

    public static SessionOptions defaults() {
        return new SessionOptions(0, 0, OptimizationLevel.ALL, Set.of(), null);
    }

    public SessionOptions withExtraOutputs(Set<String> outputs) {
        return new SessionOptions(intraOpThreads, interOpThreads, optimizationLevel, outputs, optimizedModelPath);
    }

    public SessionOptions withThreads(int intraOp) {
        return new SessionOptions(intraOp, interOpThreads, optimizationLevel, extraOutputs, optimizedModelPath);
    }

    public SessionOptions withOptimization(OptimizationLevel level, Path savePath) {
        return new SessionOptions(intraOpThreads, interOpThreads, level, extraOutputs, savePath);
    }
}
