package org.pot4j.backend.onnxruntime.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.pot4j.api.backend.SessionOptions.OptimizationLevel;

@ObjectClassDefinition(name = "pot4j ONNX Runtime backend",
        description = "Defaults for sessions opened on ONNX Runtime (CPU execution provider).")
public @interface OnnxRuntimeBackendConfig {

    @AttributeDefinition(description = "Intra-op threads used when a request leaves them at 0; "
            + "0 lets ONNX Runtime choose (one per physical core).", min = "0")
    int defaultIntraOpThreads() default 0;

    @AttributeDefinition(description = "Graph optimization level used when a session is opened without options.")
    OptimizationLevel defaultOptimizationLevel() default OptimizationLevel.ALL;
}
