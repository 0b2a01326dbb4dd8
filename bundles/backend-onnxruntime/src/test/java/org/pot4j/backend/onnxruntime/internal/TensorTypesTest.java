package org.pot4j.backend.onnxruntime.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/** Every element type ORT Java supports goes in and comes back unchanged through Identity nodes. */
class TensorTypesTest {
    private static final List<DataType> TYPES = List.of(DataType.FLOAT, DataType.DOUBLE, DataType.INT64, DataType.INT32,
            DataType.INT16, DataType.INT8, DataType.UINT8, DataType.BOOL, DataType.FLOAT16);

    private static Graph identities() {
        Graph graph = new Graph();
        graph.setName("identities");
        graph.opsets().put("", 13L);
        List<ValueInfo.Dim> dims = List.of(ValueInfo.Dim.symbolic("N"), ValueInfo.Dim.of(3));
        for (DataType type : TYPES) {
            String in = "in_" + type.name().toLowerCase();
            String out = "out_" + type.name().toLowerCase();
            graph.inputs().add(new ValueInfo(in, type, dims));
            graph.outputs().add(new ValueInfo(out, type, dims));
            graph.nodes().add(new Node("identity_" + type.name().toLowerCase(), "Identity", List.of(in), List.of(out)));
        }
        return graph;
    }

    private static Tensor sample(DataType type) {
        long[] shape = {2, 3};
        return switch (type) {
            case FLOAT -> new Tensor(type, shape, new float[] {-1.5f, 0f, 2.25f, 1e-7f, -3e5f, 7f});
            case DOUBLE -> new Tensor(type, shape, new double[] {-1.5, 0, Math.PI, 1e-300, -3e5, 7});
            case INT64 -> new Tensor(type, shape, new long[] {Long.MIN_VALUE, -1, 0, 1, 42, Long.MAX_VALUE});
            case INT32 -> new Tensor(type, shape, new int[] {Integer.MIN_VALUE, -1, 0, 1, 42, Integer.MAX_VALUE});
            case INT16, FLOAT16 -> new Tensor(type, shape, new short[] {(short) 0x3C00, (short) 0xC000, 0, 1, 0x7BFF, 42});
            case INT8 -> new Tensor(type, shape, new byte[] {-128, -1, 0, 1, 42, 127});
            case UINT8 -> new Tensor(type, shape, new byte[] {(byte) 255, (byte) 128, 0, 1, 42, 127});
            case BOOL -> new Tensor(type, shape, new byte[] {1, 0, 0, 1, 1, 0});
            default -> throw new AssertionError(type);
        };
    }

    @Test
    void everySupportedTypeRoundTrips() {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        TYPES.forEach(type -> inputs.put("in_" + type.name().toLowerCase(), sample(type)));
        try (InferenceSession session = new OnnxRuntimeBackend().open(identities(), null)) {
            Map<String, Tensor> outputs = session.run(inputs, List.of());
            assertEquals(TYPES.size(), outputs.size());
            for (DataType type : TYPES) {
                Tensor expected = sample(type);
                Tensor actual = outputs.get("out_" + type.name().toLowerCase());
                assertEquals(type, actual.type(), type + " type");
                assertArrayEquals(expected.shape(), actual.shape(), type + " shape");
                switch (type) {
                    case FLOAT -> assertArrayEquals((float[]) expected.data(), (float[]) actual.data());
                    case DOUBLE -> assertArrayEquals((double[]) expected.data(), (double[]) actual.data());
                    case INT64 -> assertArrayEquals((long[]) expected.data(), (long[]) actual.data());
                    case INT32 -> assertArrayEquals((int[]) expected.data(), (int[]) actual.data());
                    case INT16, FLOAT16 -> assertArrayEquals((short[]) expected.data(), (short[]) actual.data(), type.name());
                    default -> assertArrayEquals((byte[]) expected.data(), (byte[]) actual.data(), type.name());
                }
            }
        }
    }

    @Test
    void unsignedWideTypesAreRejectedByName() {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        TYPES.forEach(type -> inputs.put("in_" + type.name().toLowerCase(), sample(type)));
        inputs.put("in_int32", new Tensor(DataType.UINT32, new long[] {2, 3}, new int[6]));
        try (InferenceSession session = new OnnxRuntimeBackend().open(identities(), null)) {
            InvalidInputException error = assertThrows(InvalidInputException.class, () -> session.run(inputs, List.of()));
            assertEquals("inputs.in_int32", error.field());
            assertTrue(error.getMessage().contains("UINT32") && error.getMessage().contains("INT32 [N, 3]"), error.getMessage());
        }
    }
}
