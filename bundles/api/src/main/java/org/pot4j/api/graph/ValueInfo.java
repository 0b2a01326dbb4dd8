package org.pot4j.api.graph;

import java.util.List;
import org.pot4j.api.tensor.DataType;

/**
 * A typed value of the graph (input, output or intermediate). {@code dims} is null when the
 * shape is unknown; a dimension is either fixed ({@link Dim#value}) or symbolic ({@link Dim#param}).
 */
public record ValueInfo(String name, DataType type, List<Dim> dims) {

    public ValueInfo {
        dims = dims == null ? null : List.copyOf(dims);
    }

    /** One dimension: a fixed size, a symbolic name (e.g. "N"), or unknown (both null). */
    public record Dim(Long value, String param) {
        public static Dim of(long value) {
            return new Dim(value, null);
        }

        public static Dim symbolic(String param) {
            return new Dim(null, param);
        }

        @Override
        public String toString() {
            return value != null ? value.toString() : param != null ? param : "?";
        }
    }
}
