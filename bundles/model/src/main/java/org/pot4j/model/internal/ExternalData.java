package org.pot4j.model.internal;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * Tensors whose data lies in side files next to the model (ONNX external data: {@code location}, {@code offset},
 * {@code length} relative to the model's folder), as exporters write models with large weights. {@link #load} reads
 * them into the proto, {@link #readInitializer} straight into a tensor; {@link #storingInitializers} writes a model's
 * large initializers into one side file the same way.
 */
public final class ExternalData {
    /** Initializers of at least this many bytes go to the side file when a model is written with external data. */
    public static final int THRESHOLD_BYTES = 1024;

    private ExternalData() {
    }

    /** The model with every external tensor's data read in; {@code files} receives each side file's name. */
    public static ModelProto load(ModelProto model, Path folder, Map<String, Long> files) {
        if (!hasExternal(model.getGraph())) {
            return model; // no copy of the weights for the common case
        }
        UnaryOperator<TensorProto> loader = tensor -> loadTensor(tensor, folder, files);
        return model.toBuilder().setGraph(mapTensors(model.getGraph(), loader)).build();
    }

    /**
     * As {@link #load}, but the main graph's initializers stay references: {@link #readInitializer} reads each of them
     * straight into its tensor, so the weights are never held twice (once in the proto, once in the graph).
     */
    public static ModelProto loadAllButInitializers(ModelProto model, Path folder, Map<String, Long> files) {
        if (!hasExternal(model.getGraph())) {
            return model;
        }
        UnaryOperator<TensorProto> loader = tensor -> loadTensor(tensor, folder, files);
        List<TensorProto> initializers = model.getGraph().getInitializerList();
        GraphProto mapped = mapTensors(model.getGraph().toBuilder().clearInitializer().build(), loader);
        return model.toBuilder().setGraph(mapped.toBuilder().addAllInitializer(initializers)).build();
    }

    /** The initializer as a tensor, its data read from its side file when it has one ({@code files} as in load). */
    public static Tensor readInitializer(TensorProto tensor, String where, Path folder, Map<String, Long> files) {
        if (tensor.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
            return TensorCodec.read(tensor, where);
        }
        Region region = region(tensor, folder);
        DataType type;
        try {
            type = DataType.fromOnnx(tensor.getDataType());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(where + ": unsupported tensor data type " + tensor.getDataType());
        }
        long[] shape = tensor.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count = Tensor.elementCount(shape);
        if (type == DataType.STRING || count > Integer.MAX_VALUE - 8) {
            throw new ModelFormatException(where + ": external data of " + type + " with " + count
                    + " elements is not supported (numeric tensors of at most 2^31 elements)");
        }
        try (FileChannel in = FileChannel.open(region.file, StandardOpenOption.READ)) {
            long size = in.size();
            long length = region.length < 0 ? size - region.offset : region.length;
            if (region.offset < 0 || length < 0 || region.offset + length > size) {
                throw new ModelFormatException(where + ": external data at offset " + region.offset + ", length "
                        + length + " does not fit in '" + region.location + "' (" + size + " bytes)");
            }
            if (length != count * type.byteSize()) {
                throw new ModelFormatException(where + ": external data has " + length + " bytes, " + type
                        + " shape needs " + count * type.byteSize());
            }
            Object data = TensorBytes.read(in, region.offset, type, (int) count);
            files.merge(region.location, length, Long::sum);
            return new Tensor(type, shape, data);
        } catch (IOException e) {
            throw new ModelFormatException(where + ": cannot read external data file '" + region.location
                    + "' next to the model: " + e.getMessage());
        }
    }

    /** Where a tensor's external data lies: its file (inside the model's folder), offset and length (-1: the rest). */
    private record Region(String location, Path file, long offset, long length) {
    }

    private static Region region(TensorProto tensor, Path folder) {
        String where = "initializer '" + tensor.getName() + "'";
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto entry : tensor.getExternalDataList()) {
            switch (entry.getKey()) {
                case "location" -> location = entry.getValue();
                case "offset" -> offset = parse(entry.getValue(), where, "offset");
                case "length" -> length = parse(entry.getValue(), where, "length");
                default -> { } // "checksum": not checked, as ONNX Runtime does not
            }
        }
        if (location == null || location.isEmpty()) {
            throw new ModelFormatException(where + ": external data without a location");
        }
        Path file = folder.resolve(location).normalize();
        if (Path.of(location).isAbsolute() || !file.startsWith(folder.normalize())) {
            throw new ModelFormatException(where + ": external data location '" + location
                    + "' leaves the model's folder; give a path relative to it, without '..'");
        }
        return new Region(location, file, offset, length);
    }

    private static TensorProto loadTensor(TensorProto tensor, Path folder, Map<String, Long> files) {
        if (tensor.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
            return tensor;
        }
        String where = "initializer '" + tensor.getName() + "'";
        Region region = region(tensor, folder);
        String location = region.location;
        Path file = region.file;
        long offset = region.offset;
        long length = region.length;
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long size = in.length();
            long count = length < 0 ? size - offset : length;
            if (offset < 0 || count < 0 || offset + count > size || count > Integer.MAX_VALUE - 8) {
                throw new ModelFormatException(where + ": external data at offset " + offset + ", length " + count
                        + " does not fit in '" + location + "' (" + size + " bytes)");
            }
            byte[] data = new byte[(int) count];
            in.seek(offset);
            in.readFully(data);
            files.merge(location, count, Long::sum);
            return tensor.toBuilder().clearExternalData().clearDataLocation().setRawData(UnsafeByteOperations.unsafeWrap(data)).build();
        } catch (IOException e) {
            throw new ModelFormatException(where + ": cannot read external data file '" + location + "' next to the"
                    + " model: " + e.getMessage());
        }
    }

    private static long parse(String value, String where, String key) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new ModelFormatException(where + ": external data " + key + " '" + value + "' is not a number");
        }
    }

    /**
     * An initializer encoder for {@link ProtoCodec#writeModel(org.pot4j.api.graph.Graph, java.util.function.BiFunction)}
     * that writes every numeric initializer of at least {@link #THRESHOLD_BYTES} into {@code data} (appended at its
     * position, each at an offset aligned to 4096 bytes, as onnx's save does) straight from its array, and returns the
     * proto pointing to it as {@code location}: the model proto stays small whatever the weights (a whole model in
     * one protobuf message cannot exceed 2 GB).
     */
    public static BiFunction<Tensor, String, TensorProto> storingInitializers(FileChannel data, String location) {
        return (tensor, name) -> {
            if (tensor.type() == DataType.STRING || (long) tensor.size() * tensor.type().byteSize() < THRESHOLD_BYTES) {
                return TensorCodec.write(tensor, name);
            }
            try {
                long offset = (data.position() + 4095) / 4096 * 4096;
                data.position(offset);
                long length = TensorBytes.write(data, tensor);
                TensorProto.Builder proto = TensorProto.newBuilder().setDataType(tensor.type().onnxCode()).setName(name)
                        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", location))
                        .addExternalData(entry("offset", Long.toString(offset)))
                        .addExternalData(entry("length", Long.toString(length)));
                for (long dim : tensor.shape()) {
                    proto.addDims(dim);
                }
                return proto.build();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write initializer '" + name + "' to " + location, e);
            }
        };
    }

    /** The tensor's elements as little-endian bytes into {@code out} (streamed, a megabyte at a time). */
    public static long writeElements(java.nio.channels.WritableByteChannel out, Tensor tensor) throws IOException {
        return TensorBytes.write(out, tensor);
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private static boolean hasExternal(GraphProto graph) {
        for (TensorProto tensor : graph.getInitializerList()) {
            if (tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL) return true;
        }
        for (NodeProto node : graph.getNodeList()) {
            for (AttributeProto attribute : node.getAttributeList()) {
                if (attribute.hasT() && attribute.getT().getDataLocation() == TensorProto.DataLocation.EXTERNAL) return true;
                if (attribute.hasG() && hasExternal(attribute.getG())) return true;
                for (GraphProto g : attribute.getGraphsList()) {
                    if (hasExternal(g)) return true;
                }
                for (TensorProto t : attribute.getTensorsList()) {
                    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) return true;
                }
            }
        }
        return false;
    }

    /** Applies {@code map} to every initializer and tensor attribute, subgraphs included. */
    private static GraphProto mapTensors(GraphProto graph, UnaryOperator<TensorProto> map) {
        GraphProto.Builder builder = graph.toBuilder().clearInitializer().clearNode();
        graph.getInitializerList().forEach(t -> builder.addInitializer(map.apply(t)));
        for (NodeProto node : graph.getNodeList()) {
            NodeProto.Builder nodeBuilder = node.toBuilder().clearAttribute();
            for (AttributeProto attribute : node.getAttributeList()) {
                AttributeProto.Builder a = attribute.toBuilder();
                if (attribute.hasT()) a.setT(map.apply(attribute.getT()));
                if (attribute.hasG()) a.setG(mapTensors(attribute.getG(), map));
                if (attribute.getGraphsCount() > 0) {
                    a.clearGraphs();
                    attribute.getGraphsList().forEach(g -> a.addGraphs(mapTensors(g, map)));
                }
                if (attribute.getTensorsCount() > 0) {
                    a.clearTensors();
                    attribute.getTensorsList().forEach(t -> a.addTensors(map.apply(t)));
                }
                nodeBuilder.addAttribute(a);
            }
            builder.addNode(nodeBuilder);
        }
        return builder.build();
    }
}
