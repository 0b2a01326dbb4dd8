package org.pot4j.model;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/**
 * ONNX type inference reduced to what quantization needs: the element type and the rank of every value, and
 * which values only compute shapes. Seeded with the model's inputs, initializers and value_info; each default-domain
 * op the exporters emit propagates them forward (unknown ops leave their outputs unknown, never guessed). Subgraphs
 * (If / Loop / Scan bodies) are inferred with the outer scope visible. ONNX Runtime's Java API has no shape
 * inference, and the reference implementation is C++: this is the part of it pot4j's decisions depend on (the
 * meaning of Softmax before opset 13, which tensors are float activations).
 */
public final class TensorTypes {
    /** Element type and rank of one value; either may be unknown (null / -1). */
    public record Info(DataType type, int rank) {
        static final Info UNKNOWN = new Info(null, -1);
    }

    private final Map<String, Info> infos = new HashMap<>();
    /** Values computed only from shapes and constants (Shape, Size and arithmetic on them). */
    private final Set<String> shapeValues = new HashSet<>();
    /** Constant 1-D int tensors (initializers, Constant nodes): for Reshape / Unsqueeze / axes inputs. */
    private final Map<String, Tensor> constants = new HashMap<>();
    /** Initializers and Constant outputs of any rank. */
    private final Set<String> constantValues = new HashSet<>();

    private TensorTypes() {
    }

    /** Infers the types and ranks of every value of {@code graph}, its subgraphs included. */
    public static TensorTypes infer(Graph graph) {
        TensorTypes types = new TensorTypes();
        types.inferGraph(graph);
        return types;
    }

    /** The inferred type and rank of a value ({@link Info#UNKNOWN} fields when unknown). */
    public Info info(String value) {
        return infos.getOrDefault(value, Info.UNKNOWN);
    }

    /** The rank when known. */
    public Optional<Integer> rank(String value) {
        int rank = info(value).rank();
        return rank < 0 ? Optional.empty() : Optional.of(rank);
    }

    /** The element type when known. */
    public Optional<DataType> type(String value) {
        return Optional.ofNullable(info(value).type());
    }

    /** Whether the value is computed from initializers and Constant nodes only (or is one). */
    public boolean isConstant(String value) {
        return constantValues.contains(value);
    }

    /** Whether the value only computes a shape (derived from Shape / Size and constants). */
    public boolean isShapeComputation(String value) {
        return shapeValues.contains(value);
    }

    /**
     * Why the value is not a float activation that statistics and quantizers can be placed on, or empty when it is
     * (or may be: an unknown type counts as float, as ONNX exporters leave intermediate types out).
     */
    public Optional<String> notFloatActivation(String value) {
        Info info = info(value);
        if (info.type() != null && info.type() != DataType.FLOAT) {
            return Optional.of("element type " + info.type());
        }
        if (info.rank() == 0) {
            return Optional.of("a scalar (rank 0) has no batch dimension");
        }
        if (shapeValues.contains(value)) {
            return Optional.of("computes a shape (derived from Shape/Size)");
        }
        if (constantValues.contains(value)) {
            return Optional.of("a constant (computed from initializers only)");
        }
        return Optional.empty();
    }

    private void inferGraph(Graph graph) {
        graph.initializers().forEach((name, tensor) -> {
            infos.put(name, new Info(tensor.type(), tensor.rank()));
            constantValues.add(name);
            if (tensor.rank() <= 1) {
                constants.put(name, tensor);
            }
        });
        for (ValueInfo value : graph.inputs()) seed(value);
        for (ValueInfo value : graph.valueInfos()) seed(value);
        for (Node node : graph.nodes()) {
            for (Attribute attribute : node.attributes().values()) {
                if (attribute.type() == Attribute.Type.GRAPH) {
                    inferGraph(attribute.asGraph());
                } else if (attribute.type() == Attribute.Type.GRAPHS) {
                    attribute.asGraphs().forEach(this::inferGraph);
                }
            }
            inferNode(node);
        }
        for (ValueInfo value : graph.outputs()) seed(value);
    }

    private void seed(ValueInfo value) {
        Info known = info(value.name());
        DataType type = value.type() != null ? value.type() : known.type();
        int rank = value.dims() != null ? value.dims().size() : known.rank();
        infos.put(value.name(), new Info(type, rank));
    }

    private void inferNode(Node node) {
        if (!node.domain().isEmpty() && !node.domain().equals("ai.onnx")) {
            return;
        }
        if (node.opType().equals("Constant")) {
            constantValues.addAll(node.outputs());
            Attribute value = node.attribute("value");
            if (value != null && value.type() == Attribute.Type.TENSOR && !node.outputs().isEmpty()) {
                Tensor tensor = value.asTensor();
                put(node.output(0), new Info(tensor.type(), tensor.rank()));
                if (tensor.rank() <= 1) {
                    constants.put(node.output(0), tensor);
                }
            } else if (!node.outputs().isEmpty()) {
                put(node.output(0), new Info(null, node.attribute("value_ints") != null ? 1
                        : node.attribute("value_int") != null || node.attribute("value_float") != null ? 0 : -1));
            }
            return;
        }
        for (int i = 0; i < node.outputs().size(); i++) {
            put(node.output(i), new Info(outputType(node, i), outputRank(node, i)));
        }
        markShapeComputation(node);
    }

    /** Keeps what the model's own value_info says over an inference. */
    private void put(String name, Info inferred) {
        if (name.isEmpty()) {
            return;
        }
        Info known = info(name);
        infos.put(name, new Info(known.type() != null ? known.type() : inferred.type(),
                known.rank() >= 0 ? known.rank() : inferred.rank()));
    }

    private static final Set<String> RANDOM = Set.of("RandomNormal", "RandomUniform", "RandomNormalLike",
            "RandomUniformLike", "Multinomial", "Bernoulli");

    /** Marks outputs computed from shapes (Shape, Size) and constants, or from constants alone. */
    private void markShapeComputation(Node node) {
        String op = node.opType();
        if (op.equals("Shape") || op.equals("Size")) {
            shapeValues.addAll(node.outputs());
            return;
        }
        if (hasSubgraph(node) || RANDOM.contains(op)) {
            return;
        }
        boolean anyShape = false;
        boolean onlyShapeOrConstant = true;
        for (String input : node.inputs()) {
            if (input.isEmpty()) continue;
            if (shapeValues.contains(input)) {
                anyShape = true;
            } else if (!isConstantValue(input)) {
                onlyShapeOrConstant = false;
            }
        }
        if (onlyShapeOrConstant) {
            (anyShape ? shapeValues : constantValues).addAll(node.outputs());
        }
    }

    private boolean isConstantValue(String name) {
        return constantValues.contains(name);
    }

    private static boolean hasSubgraph(Node node) {
        return node.attributes().values().stream().anyMatch(a -> a.type() == Attribute.Type.GRAPH
                || a.type() == Attribute.Type.GRAPHS);
    }

    // ------------------------------------------------------------------ element types

    private static final Set<String> BOOL_OUT = Set.of("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
            "And", "Or", "Xor", "Not", "IsNaN", "IsInf");
    private static final Set<String> INT64_OUT = Set.of("Shape", "Size", "NonZero", "ArgMax", "ArgMin");

    private DataType outputType(Node node, int output) {
        String op = node.opType();
        if (BOOL_OUT.contains(op)) return DataType.BOOL;
        if (INT64_OUT.contains(op)) return DataType.INT64;
        switch (op) {
            case "Cast":
                return dataType(node.intAttribute("to", 0));
            case "ConstantOfShape": {
                Attribute value = node.attribute("value");
                return value == null ? DataType.FLOAT : value.asTensor().type();
            }
            case "DequantizeLinear":
                return DataType.FLOAT;
            case "QuantizeLinear":
                return node.inputs().size() > 2 && !node.input(2).isEmpty() ? info(node.input(2)).type() : DataType.UINT8;
            case "TopK", "MaxPool":
                return output == 0 ? info(node.input(0)).type() : DataType.INT64;
            case "Where":
                return info(node.input(1)).type();
            case "EyeLike", "RandomNormalLike", "RandomUniformLike", "RandomNormal", "RandomUniform":
                return node.attribute("dtype") == null ? (op.endsWith("Like") ? info(node.input(0)).type()
                        : DataType.FLOAT) : dataType(node.attribute("dtype").asInt());
            case "If":
                return subgraphOutput(node, "then_branch", output).map(this::info).map(Info::type).orElse(null);
            case "Loop":
                return subgraphOutput(node, "body", output + 1).map(this::info).map(Info::type).orElse(null);
            case "Scan":
                return subgraphOutput(node, "body", output).map(this::info).map(Info::type).orElse(null);
            default:
                for (String input : node.inputs()) {
                    if (!input.isEmpty() && info(input).type() != null) return info(input).type();
                }
                return null;
        }
    }

    private static DataType dataType(long onnxCode) {
        try {
            return DataType.fromOnnx((int) onnxCode);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Optional<String> subgraphOutput(Node node, String attribute, int index) {
        Attribute graph = node.attribute(attribute);
        if (graph == null || graph.type() != Attribute.Type.GRAPH || index >= graph.asGraph().outputs().size()) {
            return Optional.empty();
        }
        return Optional.of(graph.asGraph().outputs().get(index).name());
    }

    // ------------------------------------------------------------------ ranks

    /** Ops whose output 0 has the rank of input 0. */
    private static final Set<String> SAME_RANK = Set.of("Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu",
            "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Softplus", "Softsign", "Exp", "Log", "Sqrt", "Reciprocal",
            "Neg", "Abs", "Floor", "Ceil", "Round", "Sign", "Erf", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan",
            "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Gelu", "Mish", "ThresholdedRelu", "Shrink", "Identity",
            "Dropout", "Cast", "CastLike", "Clip", "Softmax", "LogSoftmax", "Hardmax", "Not", "IsNaN", "IsInf",
            "Conv", "ConvTranspose", "ConvInteger", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool",
            "GlobalMaxPool", "GlobalLpPool", "BatchNormalization", "InstanceNormalization", "LayerNormalization",
            "GroupNormalization", "LpNormalization", "LRN", "MeanVarianceNormalization", "Transpose", "Concat", "Split",
            "Slice", "Pad", "Tile", "Resize", "Upsample", "DepthToSpace", "SpaceToDepth", "TopK", "CumSum",
            "QuantizeLinear", "DequantizeLinear", "QLinearConv", "ReverseSequence", "GatherElements",
            "ScatterElements", "Scatter", "ScatterND", "Trilu", "RoiAlign", "MaxRoiPool", "GridSample", "EyeLike",
            "RandomNormalLike", "RandomUniformLike", "BitwiseNot");
    /** Ops that broadcast their inputs: the output has the largest input rank. */
    private static final Set<String> BROADCAST = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum",
            "Mean", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Where",
            "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor");
    private static final Set<String> REDUCE = Set.of("ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
            "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");

    private int outputRank(Node node, int output) {
        String op = node.opType();
        int r0 = node.inputs().isEmpty() || node.input(0).isEmpty() ? -1 : info(node.input(0)).rank();
        if (output > 0 && !op.equals("Split") && !op.equals("TopK") && !op.equals("If") && !op.equals("Loop")
                && !op.equals("Scan") && !op.equals("MaxPool")) {
            return -1;
        }
        if (SAME_RANK.contains(op)) {
            return r0;
        }
        if (BROADCAST.contains(op)) {
            int rank = -1;
            for (String input : node.inputs()) {
                int r = info(input).rank();
                if (r < 0) return -1;
                rank = Math.max(rank, r);
            }
            return rank;
        }
        if (REDUCE.contains(op)) {
            if (r0 < 0) return -1;
            if (node.intAttribute("keepdims", 1) == 1) return r0;
            long[] axes = axes(node, 1);
            if (axes == null) {
                return node.intAttribute("noop_with_empty_axes", 0) == 1 ? -1 : 0;
            }
            return r0 - axes.length;
        }
        return switch (op) {
            case "Shape", "Range", "NonZero" -> op.equals("NonZero") ? 2 : 1;
            case "Size" -> 0;
            case "Flatten", "Gemm" -> 2;
            case "ArgMax", "ArgMin" -> r0 < 0 ? -1 : node.intAttribute("keepdims", 1) == 1 ? r0 : r0 - 1;
            case "MatMul", "MatMulInteger", "QLinearMatMul" -> matMulRank(r0, info(node.input(
                    op.equals("QLinearMatMul") ? 3 : 1)).rank());
            case "Gather" -> {
                int q = info(node.input(1)).rank();
                yield r0 < 0 || q < 0 ? -1 : r0 + q - 1;
            }
            case "Reshape", "ConstantOfShape", "Expand" -> {
                String shapeInput = op.equals("ConstantOfShape") ? node.input(0) : node.input(1);
                Tensor shape = constants.get(shapeInput);
                int length = shape != null && shape.rank() == 1 ? (int) shape.dim(0) : -1;
                if (op.equals("Expand")) yield length < 0 || r0 < 0 ? -1 : Math.max(length, r0);
                yield length;
            }
            case "Unsqueeze" -> {
                long[] axes = axes(node, 1);
                yield r0 < 0 || axes == null ? -1 : r0 + axes.length;
            }
            case "Squeeze" -> {
                long[] axes = axes(node, 1);
                yield r0 < 0 || axes == null ? -1 : r0 - axes.length;
            }
            case "OneHot" -> r0 < 0 ? -1 : r0 + 1;
            case "If" -> {
                int then = subgraphOutput(node, "then_branch", output).map(this::info).map(Info::rank).orElse(-1);
                int otherwise = subgraphOutput(node, "else_branch", output).map(this::info).map(Info::rank).orElse(-1);
                yield then == otherwise ? then : -1;
            }
            default -> -1;
        };
    }

    private static int matMulRank(int a, int b) {
        if (a < 0 || b < 0) return -1;
        if (a == 1 && b == 1) return 0;
        if (a == 1) return b - 1;
        if (b == 1) return a - 1;
        return Math.max(a, b);
    }

    /** The axes of a Reduce / Squeeze / Unsqueeze: the attribute (older opsets) or a constant input. */
    private long[] axes(Node node, int inputIndex) {
        Attribute attribute = node.attribute("axes");
        if (attribute != null) {
            return attribute.asInts();
        }
        String input = node.input(inputIndex);
        if (input.isEmpty()) {
            return null;
        }
        Tensor tensor = constants.get(input);
        return tensor == null || (tensor.type() != DataType.INT64 && tensor.type() != DataType.INT32) ? null
                : tensor.toLongs();
    }

}
