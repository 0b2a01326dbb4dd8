package org.pot4j.api.graph;

import java.util.List;
import java.util.Objects;
import org.pot4j.api.tensor.Tensor;

/** A node attribute, typed as ONNX's AttributeProto. */
public final class Attribute {

    public enum Type { FLOAT, INT, STRING, TENSOR, GRAPH, FLOATS, INTS, STRINGS, TENSORS, GRAPHS }

    private final Type type;
    private final Object value;

    private Attribute(Type type, Object value) {
        this.type = type;
        this.value = Objects.requireNonNull(value);
    }

    public static Attribute ofFloat(float value) { return new Attribute(Type.FLOAT, value); }
    public static Attribute ofInt(long value) { return new Attribute(Type.INT, value); }
    public static Attribute ofString(String value) { return new Attribute(Type.STRING, value); }
    public static Attribute ofTensor(Tensor value) { return new Attribute(Type.TENSOR, value); }
    public static Attribute ofGraph(Graph value) { return new Attribute(Type.GRAPH, value); }
    public static Attribute ofFloats(float[] value) { return new Attribute(Type.FLOATS, value.clone()); }
    public static Attribute ofInts(long[] value) { return new Attribute(Type.INTS, value.clone()); }
    public static Attribute ofStrings(List<String> value) { return new Attribute(Type.STRINGS, List.copyOf(value)); }
    public static Attribute ofTensors(List<Tensor> value) { return new Attribute(Type.TENSORS, List.copyOf(value)); }
    public static Attribute ofGraphs(List<Graph> value) { return new Attribute(Type.GRAPHS, List.copyOf(value)); }

    public Type type() { return type; }

    /** The value: Float, Long, String, Tensor, Graph, float[], long[], or a List. */
    public Object value() { return value; }

    public float asFloat() { return (Float) expect(Type.FLOAT); }
    public long asInt() { return (Long) expect(Type.INT); }
    public String asString() { return (String) expect(Type.STRING); }
    public Tensor asTensor() { return (Tensor) expect(Type.TENSOR); }
    public Graph asGraph() { return (Graph) expect(Type.GRAPH); }
    public float[] asFloats() { return ((float[]) expect(Type.FLOATS)).clone(); }
    public long[] asInts() { return ((long[]) expect(Type.INTS)).clone(); }

    @SuppressWarnings("unchecked")
    public List<String> asStrings() { return (List<String>) expect(Type.STRINGS); }

    @SuppressWarnings("unchecked")
    public List<Tensor> asTensors() { return (List<Tensor>) expect(Type.TENSORS); }

    @SuppressWarnings("unchecked")
    public List<Graph> asGraphs() { return (List<Graph>) expect(Type.GRAPHS); }

    private Object expect(Type expected) {
        if (type != expected) {
            throw new IllegalStateException("attribute is " + type + ", not " + expected);
        }
        return value;
    }

    /** A copy whose GRAPH values are deep copies (other values are immutable or copied on read). */
    Attribute copy() {
        switch (type) {
            case GRAPH: return ofGraph(asGraph().copy());
            case GRAPHS: return ofGraphs(asGraphs().stream().map(Graph::copy).toList());
            default: return this;
        }
    }

    @Override
    public String toString() {
        return type + ":" + (value instanceof long[] ? java.util.Arrays.toString((long[]) value)
                : value instanceof float[] ? java.util.Arrays.toString((float[]) value) : value);
    }
}
