package org.pot4j.model.internal;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.Set;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/**
 * ModelProto ↔ Graph. Fields the IR has no place for are kept in reserved metadata keys (see
 * {@link #RESERVED_PREFIX}) and restored on write. Graph inputs that are also initializers (old exporters)
 * are moved to {@link Graph#valueInfos()} on read, because the IR lists no initializers as inputs, and
 * written back as graph inputs.
 */
public final class ProtoCodec {
    public static final String RESERVED_PREFIX = "onnx.";
    public static final String MODEL_DOMAIN = RESERVED_PREFIX + "model_domain";
    public static final String MODEL_VERSION = RESERVED_PREFIX + "model_version";
    public static final String GRAPH_DOC_STRING = RESERVED_PREFIX + "graph_doc_string";
    /** The side files a model read with external data had (comma-separated); its writes use a side file too. */
    public static final String EXTERNAL_DATA = RESERVED_PREFIX + "external_data";

    private ProtoCodec() {
    }

    public static Graph readModel(ModelProto model) {
        return readModel(model, TensorCodec::read);
    }

    /**
     * The graph of {@code model}; {@code initializers} decodes each initializer of the main graph (its proto and a
     * name for errors), e.g. reading its data from a side file straight into the tensor.
     */
    public static Graph readModel(ModelProto model, BiFunction<TensorProto, String, Tensor> initializers) {
        if (!model.hasGraph()) {
            throw new ModelFormatException("no graph in the model: not an ONNX model");
        }
        if (model.getIrVersion() <= 0) {
            throw new ModelFormatException("ir_version is missing: not an ONNX model");
        }
        model = FunctionInliner.inline(model); // model-local functions: their nodes are candidates like any other
        if (model.getTrainingInfoCount() > 0) {
            throw new ModelFormatException("training_info is not supported; export an inference-only model");
        }
        Graph graph = readGraph(model.getGraph(), "graph", initializers);
        graph.setIrVersion(model.getIrVersion());
        graph.setProducerName(model.getProducerName());
        graph.setProducerVersion(model.getProducerVersion());
        graph.setDocString(model.getDocString());
        for (OperatorSetIdProto opset : model.getOpsetImportList()) {
            graph.opsets().put(opset.getDomain(), opset.getVersion());
        }
        if (graph.opsets().isEmpty()) {
            throw new ModelFormatException("no opset_import: not a valid ONNX model");
        }
        for (StringStringEntryProto entry : model.getMetadataPropsList()) {
            graph.metadata().put(entry.getKey(), entry.getValue());
        }
        if (model.hasDomain() && !model.getDomain().isEmpty()) {
            graph.metadata().put(MODEL_DOMAIN, model.getDomain());
        }
        if (model.hasModelVersion()) {
            graph.metadata().put(MODEL_VERSION, Long.toString(model.getModelVersion()));
        }
        if (model.getGraph().hasDocString() && !model.getGraph().getDocString().isEmpty()) {
            graph.metadata().put(GRAPH_DOC_STRING, model.getGraph().getDocString());
        }
        return graph;
    }

    private static Graph readGraph(GraphProto proto, String where) {
        return readGraph(proto, where, TensorCodec::read);
    }

    private static Graph readGraph(GraphProto proto, String where,
                                   BiFunction<TensorProto, String, Tensor> initializers) {
        if (proto.getSparseInitializerCount() > 0) {
            throw new ModelFormatException(where + ": sparse initializers are not supported");
        }
        Graph graph = new Graph();
        graph.setName(proto.getName());
        graph.setDocString(proto.getDocString());
        for (TensorProto initializer : proto.getInitializerList()) {
            String name = initializer.getName();
            if (name.isEmpty()) {
                throw new ModelFormatException(where + ": an initializer has no name");
            }
            graph.initializers().put(name, initializers.apply(initializer, where + " initializer '" + name + "'"));
        }
        for (ValueInfoProto input : proto.getInputList()) {
            ValueInfo info = readValueInfo(input, where + " input");
            (graph.initializers().containsKey(info.name()) ? graph.valueInfos() : graph.inputs()).add(info);
        }
        for (ValueInfoProto output : proto.getOutputList()) {
            graph.outputs().add(readValueInfo(output, where + " output"));
        }
        for (ValueInfoProto valueInfo : proto.getValueInfoList()) {
            graph.valueInfos().add(readValueInfo(valueInfo, where + " value_info"));
        }
        int index = 0;
        for (NodeProto node : proto.getNodeList()) {
            graph.nodes().add(readNode(node, where + " node #" + index + " '" + node.getName() + "' ("
                    + node.getOpType() + ")"));
            index++;
        }
        return graph;
    }

    private static ValueInfo readValueInfo(ValueInfoProto proto, String where) {
        String name = proto.getName();
        if (!proto.hasType()) {
            return new ValueInfo(name, null, null);
        }
        TypeProto type = proto.getType();
        if (type.getValueCase() == TypeProto.ValueCase.VALUE_NOT_SET) {
            // a type with no value set (exporters write it for subgraph outputs): ONNX Runtime infers it, so does pot4j
            return new ValueInfo(name, null, null);
        }
        if (!type.hasTensorType()) {
            throw new ModelFormatException(where + " '" + name + "' has type " + type.getValueCase()
                    + "; only tensor values are supported");
        }
        TypeProto.Tensor tensorType = type.getTensorType();
        DataType dataType = null;
        if (tensorType.getElemType() != 0) {
            try {
                dataType = DataType.fromOnnx(tensorType.getElemType());
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(where + " '" + name + "' has unsupported element type "
                        + tensorType.getElemType() + " (" + TensorCodec.dataTypeName(tensorType.getElemType()) + ")");
            }
        }
        List<ValueInfo.Dim> dims = null;
        if (tensorType.hasShape()) {
            dims = new ArrayList<>();
            for (TensorShapeProto.Dimension dim : tensorType.getShape().getDimList()) {
                dims.add(dim.hasDimValue() ? ValueInfo.Dim.of(dim.getDimValue())
                        : new ValueInfo.Dim(null, dim.hasDimParam() ? dim.getDimParam() : null));
            }
        }
        return new ValueInfo(name, dataType, dims);
    }

    private static Node readNode(NodeProto proto, String where) {
        Map<String, Attribute> attributes = new LinkedHashMap<>();
        for (AttributeProto attribute : proto.getAttributeList()) {
            attributes.put(attribute.getName(), readAttribute(attribute, where + " attribute '" + attribute.getName() + "'"));
        }
        Node node = new Node(proto.getName(), proto.getOpType(), proto.getDomain(), proto.getInputList(),
                proto.getOutputList(), attributes);
        if (proto.hasDocString()) {
            node.setDocString(proto.getDocString());
        }
        return node;
    }

    private static Attribute readAttribute(AttributeProto proto, String where) {
        if (proto.hasRefAttrName() && !proto.getRefAttrName().isEmpty()) {
            throw new ModelFormatException(where + ": attribute references (functions) are not supported");
        }
        AttributeProto.AttributeType type = proto.getType();
        if (type == AttributeProto.AttributeType.UNDEFINED) {
            type = inferType(proto, where);
        }
        return switch (type) {
            case FLOAT -> Attribute.ofFloat(proto.getF());
            case INT -> Attribute.ofInt(proto.getI());
            case STRING -> Attribute.ofString(proto.getS().toString(StandardCharsets.UTF_8));
            case TENSOR -> Attribute.ofTensor(TensorCodec.read(proto.getT(), where));
            case GRAPH -> Attribute.ofGraph(readGraph(proto.getG(), where));
            case FLOATS -> {
                float[] values = new float[proto.getFloatsCount()];
                for (int i = 0; i < values.length; i++) values[i] = proto.getFloats(i);
                yield Attribute.ofFloats(values);
            }
            case INTS -> Attribute.ofInts(proto.getIntsList().stream().mapToLong(Long::longValue).toArray());
            case STRINGS -> Attribute.ofStrings(proto.getStringsList().stream()
                    .map(s -> s.toString(StandardCharsets.UTF_8)).toList());
            case TENSORS -> {
                List<Tensor> tensors = new ArrayList<>();
                for (TensorProto tensor : proto.getTensorsList()) tensors.add(TensorCodec.read(tensor, where));
                yield Attribute.ofTensors(tensors);
            }
            case GRAPHS -> {
                List<Graph> graphs = new ArrayList<>();
                for (GraphProto graph : proto.getGraphsList()) graphs.add(readGraph(graph, where));
                yield Attribute.ofGraphs(graphs);
            }
            default -> throw new ModelFormatException(where + ": attribute type " + type + " is not supported");
        };
    }

    /** Very old models (IR 1) leave the attribute type unset: take it from the field that is set. */
    private static AttributeProto.AttributeType inferType(AttributeProto proto, String where) {
        if (proto.hasF()) return AttributeProto.AttributeType.FLOAT;
        if (proto.hasI()) return AttributeProto.AttributeType.INT;
        if (proto.hasS()) return AttributeProto.AttributeType.STRING;
        if (proto.hasT()) return AttributeProto.AttributeType.TENSOR;
        if (proto.hasG()) return AttributeProto.AttributeType.GRAPH;
        if (proto.getFloatsCount() > 0) return AttributeProto.AttributeType.FLOATS;
        if (proto.getIntsCount() > 0) return AttributeProto.AttributeType.INTS;
        if (proto.getStringsCount() > 0) return AttributeProto.AttributeType.STRINGS;
        if (proto.getTensorsCount() > 0) return AttributeProto.AttributeType.TENSORS;
        if (proto.getGraphsCount() > 0) return AttributeProto.AttributeType.GRAPHS;
        throw new ModelFormatException(where + ": attribute has no type and no value");
    }

    // ---------------------------------------------------------------- write

    public static ModelProto writeModel(Graph graph) {
        return writeModel(graph, TensorCodec::write);
    }

    /**
     * The model proto; {@code initializers} encodes each initializer of the main graph (name, tensor), e.g. as a
     * reference to external data (subgraphs' initializers and tensor attributes are encoded inline).
     */
    public static ModelProto writeModel(Graph graph, BiFunction<Tensor, String, TensorProto> initializers) {
        Map<String, String> metadata = new LinkedHashMap<>(graph.metadata());
        String domain = metadata.remove(MODEL_DOMAIN);
        String modelVersion = metadata.remove(MODEL_VERSION);
        String graphDoc = metadata.remove(GRAPH_DOC_STRING);
        metadata.remove(EXTERNAL_DATA);
        ModelProto.Builder model = ModelProto.newBuilder().setIrVersion(graph.irVersion());
        if (graph.producerName() != null && !graph.producerName().isEmpty()) {
            model.setProducerName(graph.producerName());
        }
        if (graph.producerVersion() != null && !graph.producerVersion().isEmpty()) {
            model.setProducerVersion(graph.producerVersion());
        }
        if (domain != null) {
            model.setDomain(domain);
        }
        if (modelVersion != null) {
            model.setModelVersion(Long.parseLong(modelVersion));
        }
        if (graph.docString() != null && !graph.docString().isEmpty()) {
            model.setDocString(graph.docString());
        }
        GraphProto.Builder graphProto = writeGraph(graph, graph.irVersion() < 4, initializers).toBuilder();
        graphProto.clearDocString();
        if (graphDoc != null) {
            graphProto.setDocString(graphDoc);
        }
        model.setGraph(graphProto);
        graph.opsets().forEach((opsetDomain, version) -> {
            OperatorSetIdProto.Builder opset = OperatorSetIdProto.newBuilder().setVersion(version);
            if (!opsetDomain.isEmpty()) {
                opset.setDomain(opsetDomain); // exporters leave the default domain unset
            }
            model.addOpsetImport(opset);
        });
        metadata.forEach((key, value) ->
                model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value)));
        return model.build();
    }

    private static GraphProto writeGraph(Graph graph, boolean initializersAsInputs) {
        return writeGraph(graph, initializersAsInputs, TensorCodec::write);
    }

    private static GraphProto writeGraph(Graph graph, boolean initializersAsInputs,
                                         BiFunction<Tensor, String, TensorProto> initializers) {
        GraphProto.Builder builder = GraphProto.newBuilder().setName(graph.name() == null ? "" : graph.name());
        if (graph.docString() != null && !graph.docString().isEmpty()) {
            builder.setDocString(graph.docString());
        }
        for (Node node : graph.nodes()) {
            builder.addNode(writeNode(node));
        }
        graph.initializers().forEach((name, tensor) -> builder.addInitializer(initializers.apply(tensor, name)));
        Set<String> inputNames = new LinkedHashSet<>();
        for (ValueInfo input : graph.inputs()) {
            builder.addInput(writeValueInfo(input));
            inputNames.add(input.name());
        }
        // initializers that were graph inputs in the source model are remembered in valueInfos
        List<ValueInfo> plainValueInfos = new ArrayList<>();
        for (ValueInfo info : graph.valueInfos()) {
            if (graph.initializers().containsKey(info.name()) && !inputNames.contains(info.name())) {
                builder.addInput(writeValueInfo(info));
                inputNames.add(info.name());
            } else {
                plainValueInfos.add(info);
            }
        }
        if (initializersAsInputs) {
            // IR < 4 requires every initializer to be a graph input
            graph.initializers().forEach((name, tensor) -> {
                if (inputNames.add(name)) {
                    List<ValueInfo.Dim> dims = new ArrayList<>();
                    for (long dim : tensor.shape()) dims.add(ValueInfo.Dim.of(dim));
                    builder.addInput(writeValueInfo(new ValueInfo(name, tensor.type(), dims)));
                }
            });
        }
        for (ValueInfo output : graph.outputs()) {
            builder.addOutput(writeValueInfo(output));
        }
        for (ValueInfo info : plainValueInfos) {
            builder.addValueInfo(writeValueInfo(info));
        }
        return builder.build();
    }

    private static ValueInfoProto writeValueInfo(ValueInfo info) {
        ValueInfoProto.Builder builder = ValueInfoProto.newBuilder().setName(info.name());
        if (info.type() == null && info.dims() == null) {
            return builder.build();
        }
        TypeProto.Tensor.Builder tensor = TypeProto.Tensor.newBuilder();
        if (info.type() != null) {
            tensor.setElemType(info.type().onnxCode());
        }
        if (info.dims() != null) {
            TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
            for (ValueInfo.Dim dim : info.dims()) {
                TensorShapeProto.Dimension.Builder d = TensorShapeProto.Dimension.newBuilder();
                if (dim.value() != null) {
                    d.setDimValue(dim.value());
                } else if (dim.param() != null) {
                    d.setDimParam(dim.param());
                }
                shape.addDim(d);
            }
            tensor.setShape(shape);
        }
        return builder.setType(TypeProto.newBuilder().setTensorType(tensor)).build();
    }

    private static NodeProto writeNode(Node node) {
        NodeProto.Builder builder = NodeProto.newBuilder()
                .addAllInput(node.inputs())
                .addAllOutput(node.outputs())
                .setOpType(node.opType());
        if (node.name() != null && !node.name().isEmpty()) {
            builder.setName(node.name());
        }
        if (node.domain() != null && !node.domain().isEmpty()) {
            builder.setDomain(node.domain());
        }
        node.attributes().forEach((name, attribute) -> builder.addAttribute(writeAttribute(name, attribute)));
        if (node.docString() != null && !node.docString().isEmpty()) {
            builder.setDocString(node.docString());
        }
        return builder.build();
    }

    private static AttributeProto writeAttribute(String name, Attribute attribute) {
        AttributeProto.Builder builder = AttributeProto.newBuilder().setName(name);
        switch (attribute.type()) {
            case FLOAT -> builder.setType(AttributeProto.AttributeType.FLOAT).setF(attribute.asFloat());
            case INT -> builder.setType(AttributeProto.AttributeType.INT).setI(attribute.asInt());
            case STRING -> builder.setType(AttributeProto.AttributeType.STRING)
                    .setS(ByteString.copyFrom(attribute.asString(), StandardCharsets.UTF_8));
            case TENSOR -> builder.setType(AttributeProto.AttributeType.TENSOR)
                    .setT(TensorCodec.write(attribute.asTensor(), null));
            case GRAPH -> builder.setType(AttributeProto.AttributeType.GRAPH).setG(writeGraph(attribute.asGraph(), false));
            case FLOATS -> {
                builder.setType(AttributeProto.AttributeType.FLOATS);
                for (float value : attribute.asFloats()) builder.addFloats(value);
            }
            case INTS -> {
                builder.setType(AttributeProto.AttributeType.INTS);
                for (long value : attribute.asInts()) builder.addInts(value);
            }
            case STRINGS -> {
                builder.setType(AttributeProto.AttributeType.STRINGS);
                for (String value : attribute.asStrings()) builder.addStrings(ByteString.copyFrom(value, StandardCharsets.UTF_8));
            }
            case TENSORS -> {
                builder.setType(AttributeProto.AttributeType.TENSORS);
                for (Tensor tensor : attribute.asTensors()) builder.addTensors(TensorCodec.write(tensor, null));
            }
            case GRAPHS -> {
                builder.setType(AttributeProto.AttributeType.GRAPHS);
                for (Graph graph : attribute.asGraphs()) builder.addGraphs(writeGraph(graph, false));
            }
            default -> throw new IllegalArgumentException("attribute " + name + " has unknown type " + attribute.type());
        }
        return builder.build();
    }
}
