package org.pot4j.backend.onnxruntime.internal;

import java.util.Set;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.graph.Graph;

/** Serializes graphs and exposes intermediate values as graph outputs (needs org.pot4j.model). */
final class ExtraOutputs {
    private ExtraOutputs() {
    }

    static byte[] addToModel(byte[] onnxModel, Set<String> extraOutputs) {
        throw new Pot4jException("UNSUPPORTED", "extra outputs need org.pot4j.model (not yet wired)");
    }

    static byte[] serialize(Graph graph, Set<String> extraOutputs) {
        throw new Pot4jException("UNSUPPORTED", "opening a Graph needs org.pot4j.model (not yet wired)");
    }
}
