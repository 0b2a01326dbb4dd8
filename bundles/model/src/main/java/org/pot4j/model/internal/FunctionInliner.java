package org.pot4j.model.internal;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.FunctionProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replaces every call of a model-local function (ModelProto.functions, as torch.onnx.export and onnxscript write them)
 * by the function's nodes, at the proto level before the model is read: ONNX Runtime inlines them too, and pot4j then
 * sees (and can quantize) the ops inside. Values inside a call get the call's name as prefix; attributes that refer to
 * the function's attributes ({@code ref_attr_name}) take the call's value or the function's default. Calls nested in
 * functions and in subgraphs are inlined as well.
 */
final class FunctionInliner {
    private static final int MAX_DEPTH = 32;

    private final Map<String, FunctionProto> functions = new HashMap<>();
    private final Set<String> taken = new HashSet<>();
    private int counter;

    private FunctionInliner(ModelProto model) {
        for (FunctionProto function : model.getFunctionsList()) {
            functions.put(key(function.getDomain(), function.getName()), function);
        }
    }

    /** The model with its local functions inlined and removed; the model itself when it has none. */
    static ModelProto inline(ModelProto model) {
        if (model.getFunctionsCount() == 0) {
            return model;
        }
        FunctionInliner inliner = new FunctionInliner(model);
        GraphProto graph = model.getGraph();
        graph.getInitializerList().forEach(t -> inliner.taken.add(t.getName()));
        graph.getInputList().forEach(v -> inliner.taken.add(v.getName()));
        for (NodeProto node : graph.getNodeList()) {
            inliner.taken.add(node.getName());
            inliner.taken.addAll(node.getInputList());
            inliner.taken.addAll(node.getOutputList());
        }
        ModelProto.Builder builder = model.toBuilder().clearFunctions();
        Map<String, Long> opsets = new HashMap<>();
        model.getOpsetImportList().forEach(o -> opsets.put(o.getDomain(), o.getVersion()));
        for (FunctionProto function : model.getFunctionsList()) {
            for (OperatorSetIdProto opset : function.getOpsetImportList()) {
                Long version = opsets.get(opset.getDomain());
                if (version != null && version != opset.getVersion()) {
                    throw new ModelFormatException("function '" + function.getName() + "' imports opset "
                            + opset.getVersion() + " of domain '" + opset.getDomain() + "', the model "
                            + version + ": pot4j inlines functions only when both use the same opset");
                }
                if (version == null && !opset.getDomain().equals(function.getDomain())) {
                    opsets.put(opset.getDomain(), opset.getVersion());
                    builder.addOpsetImport(opset);
                }
            }
        }
        builder.setGraph(inliner.inlineGraph(model.getGraph(), 0));
        return builder.build();
    }

    private GraphProto inlineGraph(GraphProto graph, int depth) {
        GraphProto.Builder builder = graph.toBuilder().clearNode();
        for (NodeProto node : graph.getNodeList()) {
            builder.addAllNode(inlineNode(withInlinedSubgraphs(node, depth), depth));
        }
        return builder.build();
    }

    private NodeProto withInlinedSubgraphs(NodeProto node, int depth) {
        NodeProto.Builder builder = node.toBuilder();
        for (int i = 0; i < node.getAttributeCount(); i++) {
            AttributeProto attribute = node.getAttribute(i);
            if (attribute.hasG()) {
                builder.setAttribute(i, attribute.toBuilder().setG(inlineGraph(attribute.getG(), depth)));
            } else if (attribute.getGraphsCount() > 0) {
                AttributeProto.Builder graphs = attribute.toBuilder().clearGraphs();
                attribute.getGraphsList().forEach(g -> graphs.addGraphs(inlineGraph(g, depth)));
                builder.setAttribute(i, graphs);
            }
        }
        return builder.build();
    }

    private List<NodeProto> inlineNode(NodeProto call, int depth) {
        FunctionProto function = functions.get(key(call.getDomain(), call.getOpType()));
        if (function == null) {
            return List.of(call);
        }
        if (depth >= MAX_DEPTH) {
            throw new ModelFormatException("function '" + function.getName() + "' calls itself more than "
                    + MAX_DEPTH + " levels deep");
        }
        String prefix = (call.getName().isEmpty() ? function.getName() + "_" + counter++ : call.getName()) + "/";
        Map<String, String> names = new HashMap<>();
        for (int i = 0; i < function.getInputCount(); i++) {
            names.put(function.getInput(i), i < call.getInputCount() ? call.getInput(i) : "");
        }
        for (int i = 0; i < function.getOutputCount(); i++) {
            names.put(function.getOutput(i), i < call.getOutputCount() ? call.getOutput(i) : "");
        }
        Map<String, AttributeProto> attributes = new HashMap<>();
        function.getAttributeProtoList().forEach(a -> attributes.put(a.getName(), a));
        call.getAttributeList().forEach(a -> attributes.put(a.getName(), a));
        List<NodeProto> inlined = new ArrayList<>();
        for (NodeProto node : function.getNodeList()) {
            NodeProto.Builder builder = node.toBuilder().clearInput().clearOutput().clearAttribute()
                    .setName(fresh(prefix + (node.getName().isEmpty() ? node.getOpType() : node.getName())));
            for (String input : node.getInputList()) {
                builder.addInput(input.isEmpty() ? "" : names.computeIfAbsent(input, v -> fresh(prefix + v)));
            }
            for (String output : node.getOutputList()) {
                builder.addOutput(output.isEmpty() ? "" : names.computeIfAbsent(output, v -> fresh(prefix + v)));
            }
            for (AttributeProto attribute : node.getAttributeList()) {
                if (attribute.hasRefAttrName() && !attribute.getRefAttrName().isEmpty()) {
                    AttributeProto value = attributes.get(attribute.getRefAttrName());
                    if (value != null) {
                        builder.addAttribute(value.toBuilder().setName(attribute.getName()));
                    } // an unset reference without default: the attribute is absent, as ONNX defines it
                } else {
                    builder.addAttribute(attribute);
                }
            }
            inlined.addAll(inlineNode(builder.build(), depth + 1));
        }
        return inlined;
    }

    private String fresh(String base) {
        String name = base;
        for (int i = 1; !taken.add(name); i++) {
            name = base + "_" + i;
        }
        return name;
    }

    private static String key(String domain, String name) {
        return domain + "::" + name;
    }
}
