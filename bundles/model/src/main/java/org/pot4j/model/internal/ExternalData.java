package org.pot4j.model.internal;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.UnsafeByteOperations;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Tensors whose data lies in side files next to the model (ONNX external data: {@code location}, {@code offset},
 * {@code length} relative to the model's folder), as exporters write models with large weights. {@link #load} reads
 * them into the proto; {@link #store} writes a model's large initializers into one side file the same way.
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

    private static TensorProto loadTensor(TensorProto tensor, Path folder, Map<String, Long> files) {
        if (tensor.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
            return tensor;
        }
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
     * Moves the raw data of initializers of at least {@link #THRESHOLD_BYTES} into {@code data} (appended, each at an
     * offset aligned to 4096 bytes, as onnx's save does) and returns the model that points to it as {@code location}.
     */
    public static ModelProto store(ModelProto model, String location, ByteArrayOutputStream data) {
        UnaryOperator<TensorProto> storer = tensor -> {
            if (tensor.getRawData().size() < THRESHOLD_BYTES) {
                return tensor;
            }
            while (data.size() % 4096 != 0) {
                data.write(0);
            }
            long offset = data.size();
            data.writeBytes(tensor.getRawData().toByteArray());
            return tensor.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(entry("location", location))
                    .addExternalData(entry("offset", Long.toString(offset)))
                    .addExternalData(entry("length", Long.toString(tensor.getRawData().size()))).build();
        };
        GraphProto graph = model.getGraph().toBuilder().clearInitializer()
                .addAllInitializer(model.getGraph().getInitializerList().stream().map(storer).toList()).build();
        return model.toBuilder().setGraph(graph).build();
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
