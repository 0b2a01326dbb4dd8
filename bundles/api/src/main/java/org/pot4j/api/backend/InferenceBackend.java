package org.pot4j.api.backend;

import org.osgi.annotation.versioning.ConsumerType;
import org.pot4j.api.graph.Graph;

/** Runs models. Registered with service property {@value #PROPERTY} = its name (e.g. "onnxruntime"). */
@ConsumerType
public interface InferenceBackend {
    String PROPERTY = "pot4j.backend";

    /** Opens a session on serialized ONNX bytes. */
    InferenceSession open(byte[] onnxModel, SessionOptions options);

    /** Opens a session on a graph (serialized by the backend), with any extra outputs of the options. */
    InferenceSession open(Graph model, SessionOptions options);
}
