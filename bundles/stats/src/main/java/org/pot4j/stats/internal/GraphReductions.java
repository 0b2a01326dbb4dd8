package org.pot4j.stats.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.graph.Attribute;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/**
 * Adds per-sample reductions to a copy of a model, so that ONNX Runtime returns [B] (per tensor) or
 * [B, C] (per channel) values instead of whole activations: copying activations out of native memory
 * and reducing them in Java is what made a statistics pass cost several inferences.
 * <p>
 * MIN / MAX / MEAN become ReduceMin / ReduceMax / ReduceMean over every axis but the batch axis (and
 * the kept channel axis); ABS_MAX is max(|min|, |max|) of those two, as in Java. Extreme quantiles
 * (level or 1 - level at most {@link #TOPK_LEVEL_LIMIT}, POT's 1e-4 outlier levels) become a TopK of
 * the few smallest or largest values per sample, with K computed in the graph from the element count
 * exactly as {@link FusedReduction.Ranks} does, so Java interpolates the same order statistics.
 * Other quantile levels need the whole tensor and stay in Java.
 * <p>
 * The shapes of intermediate values are usually unknown (exported models carry no value_info), so
 * every view is built from the runtime shape: Flatten for per tensor, Reshape with 0 / -1 and a
 * Shape-derived target for per channel. Only the default-domain opset 13 or later is handled (the
 * opset the shared models and the QDQ writer use); Reduce* take {@code axes} as an attribute below
 * opset 18 and as an input from 18 on.
 */
public final class GraphReductions {

    /** Quantile levels this close to 0 or 1 are served by TopK; K grows with level * elements. */
    public static final double TOPK_LEVEL_LIMIT = 0.01;

    /** The lowest default-domain opset the augmentation writes for. */
    public static final long MIN_OPSET = 13;

    private static final long REDUCE_AXES_AS_INPUT = 18;
    private static final int ONNX_INT64 = 7, ONNX_DOUBLE = 11;

    /** The outputs of one (tensor, channel axis): each null when not needed. */
    public static final class Outputs {
        public String min, max, mean;
        /** The channel axis kept (-1: per tensor): per-tensor requests on an NCHW tensor are served per channel. */
        public int channelAxis = -1;
        /** When set, min (max) is element 0 of this quantile's TopK values instead of a ReduceMin (ReduceMax). */
        public FusedReduction.Spec minFrom, maxFrom;
        /** int64 [1]: elements per sample and channel, the n of the quantile ranks. */
        public String elementCount;
        /** Per quantile spec: the TopK values, [B, K] or [B, C, K], ascending for level <= 0.5 else descending. */
        public final Map<FusedReduction.Spec, String> extremes = new LinkedHashMap<>();

        private final List<FusedReduction.Spec> specs = new ArrayList<>();

        /** Whether these outputs compute {@code spec}. */
        public boolean covers(FusedReduction.Spec spec) {
            return specs.contains(spec);
        }

        /** Every output name, for the session's extra outputs. */
        public List<String> names() {
            List<String> names = new ArrayList<>();
            for (String name : new String[] {min, max, mean, elementCount}) {
                if (name != null) names.add(name);
            }
            names.addAll(extremes.values());
            return names;
        }

        /** The outputs that carry the batch as their first dimension. */
        public List<String> batched() {
            List<String> names = names();
            names.remove(elementCount);
            return names;
        }
    }

    private final Graph graph;
    private final long opset;
    private final Set<String> usedNames = new HashSet<>();
    private final Map<String, Node> producers = new HashMap<>();
    /** The reduction nodes of each tensor, placed right after its producer by {@link #finish()}. */
    private final Map<String, List<Node>> added = new LinkedHashMap<>();
    /** GlobalMax/AveragePool outputs ([B, C, 1, 1]), and the values per sample of outputs whose count is known. */
    private final Set<String> pooled = new HashSet<>();
    /** Outputs shaped [B, k]: joined as they are. */
    private final Set<String> twoD = new HashSet<>();
    private final Map<String, Long> widths = new HashMap<>();
    private List<Node> current;

    /** Works on {@code graph} itself: pass a copy. */
    public GraphReductions(Graph graph) {
        this.graph = graph;
        this.opset = opsetOf(graph);
        for (Node node : graph.nodes()) {
            node.outputs().forEach(output -> producers.put(output, node));
        }
        graph.inputs().forEach(input -> usedNames.add(input.name()));
        graph.outputs().forEach(output -> usedNames.add(output.name()));
        usedNames.addAll(graph.initializers().keySet());
        for (Node node : graph.nodes()) {
            usedNames.add(node.name());
            usedNames.addAll(node.outputs());
        }
    }

    private static final Set<String> SAME_RANK_AS_FIRST_INPUT = Set.of("Relu", "Clip", "Sigmoid", "Tanh", "LeakyRelu",
            "HardSigmoid", "HardSwish", "Elu", "Selu", "Gelu", "Erf", "Neg", "Abs", "Sqrt", "Exp", "Log", "Identity",
            "Dropout", "Cast", "BatchNormalization", "InstanceNormalization", "LayerNormalization", "Softmax",
            "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool", "Concat", "QuantizeLinear",
            "DequantizeLinear", "PRelu", "Pad", "Resize", "Upsample");
    private static final Set<String> BROADCASTING = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum");

    /**
     * The rank of {@code value} when the graph tells it (value_info, initializer shapes through Conv and
     * element-wise producers, Conv/Gemm consumers), else -1. With a known rank the reductions read the
     * activation directly: a Flatten / Reshape view in front of them costs ORT a copy of the activation
     * (and, at level ALL, a reorder out of its blocked NCHWc layout).
     */
    public int rank(String value) {
        return rank(value, 0);
    }

    private int rank(String value, int depth) {
        if (depth > 64) return -1;
        ValueInfo info = graph.valueInfo(value).orElse(null);
        if (info != null && info.dims() != null) return info.dims().size();
        Tensor constant = graph.initializers().get(value);
        if (constant != null) return constant.rank();
        Node producer = producers.get(value);
        if (producer != null) {
            String op = producer.opType();
            if (op.equals("Conv") || op.equals("ConvTranspose")) {
                Tensor weight = graph.initializers().get(producer.input(1));
                if (weight != null) return weight.rank();
            } else if (op.equals("Gemm") || op.equals("Flatten")) {
                return 2;
            } else if (SAME_RANK_AS_FIRST_INPUT.contains(op)) {
                int rank = rank(producer.input(0), depth + 1);
                if (rank >= 0) return rank;
            } else if (BROADCASTING.contains(op)) {
                int rank = -1;
                for (String input : producer.inputs()) {
                    int inputRank = input.isEmpty() ? -1 : rank(input, depth + 1);
                    if (inputRank < 0) { rank = -1; break; }
                    rank = Math.max(rank, inputRank);
                }
                if (rank >= 0) return rank;
            }
        }
        for (Node consumer : graph.nodes()) {
            if (consumer.input(0).equals(value) && (consumer.opType().equals("Conv")
                    || consumer.opType().equals("ConvTranspose"))) {
                Tensor weight = graph.initializers().get(consumer.input(1));
                if (weight != null) return weight.rank();
            }
            if (consumer.opType().equals("Gemm") && (consumer.input(0).equals(value) || consumer.input(1).equals(value))) {
                return 2;
            }
        }
        return -1;
    }

    public static long opsetOf(Graph graph) {
        return graph.opsets().getOrDefault("", graph.opsets().getOrDefault("ai.onnx", 0L));
    }

    /** Whether ORT can compute this reducer over {@code tensor} of {@code graph} in-graph. */
    public static boolean supported(Graph graph, String tensor, int channelAxis, Reducer reducer, double level) {
        if (opsetOf(graph) < MIN_OPSET || channelAxis == 0 || channelAxis < -1) {
            return false; // axis 0 is the batch: every sample is its own "channel", left to Java
        }
        if (!producedOrInput(graph, tensor)) {
            return false; // initializers have no batch dimension
        }
        return switch (reducer) {
            case MIN, MAX, ABS_MAX, MEAN -> true;
            case QUANTILE, ABS_QUANTILE -> Math.min(level, 1 - level) <= TOPK_LEVEL_LIMIT;
        };
    }

    private static boolean producedOrInput(Graph graph, String tensor) {
        for (ValueInfo input : graph.inputs()) {
            if (input.name().equals(tensor)) return true;
        }
        for (Node node : graph.nodes()) {
            if (node.outputs().contains(tensor)) return true;
        }
        return false;
    }

    /**
     * Adds the nodes computing {@code specs} of {@code tensor} keeping {@code channelAxis} (-1: per tensor);
     * call {@link #finish()} after the last one.
     */
    public Outputs add(String tensor, int channelAxis, List<FusedReduction.Spec> specs) {
        Outputs outputs = new Outputs();
        outputs.channelAxis = channelAxis;
        outputs.specs.addAll(specs);
        current = added.computeIfAbsent(tensor, t -> new ArrayList<>());
        String base = "pot4j_stats/" + tensor + (channelAxis < 0 ? "" : "/axis" + channelAxis);
        boolean min = false, max = false, mean = false, quantiles = false;
        for (FusedReduction.Spec spec : specs) {
            switch (spec.reducer()) {
                case MIN -> min = true;
                case MAX -> max = true;
                case ABS_MAX -> { min = true; max = true; }
                case MEAN -> mean = true;
                case QUANTILE, ABS_QUANTILE -> quantiles = true;
            }
        }
        // the view to reduce: [B, n] per tensor; per channel [B, C, n] (axis 1) or [B, pre, C, post]
        String reduceView;
        long[] reduceAxes;
        String flatView = null; // [B, n] or [B, C, n]: what TopK runs on (its last axis)
        int rank = rank(tensor);
        if (rank > Math.max(channelAxis, 0) && !quantiles) {
            // the rank is known: reduce the activation itself over every axis but 0 and the channel axis
            reduceView = tensor;
            List<Long> axes = new ArrayList<>();
            for (int axis = 1; axis < rank; axis++) {
                if (axis != channelAxis) axes.add((long) axis);
            }
            reduceAxes = axes.stream().mapToLong(Long::longValue).toArray();
        } else if (channelAxis < 0) {
            reduceView = node("Flatten", base + "/flat", List.of(tensor), Map.of("axis", Attribute.ofInt(1)));
            reduceAxes = new long[] {1};
            flatView = reduceView;
        } else if (channelAxis == 1) {
            reduceView = node("Reshape", base + "/flat", List.of(tensor, longs(base + "/shape", 0, 0, -1)), Map.of());
            reduceAxes = new long[] {2};
            flatView = reduceView;
        } else {
            String shape = node("Shape", base + "/shape", List.of(tensor), Map.of());
            String channels = node("Slice", base + "/channels",
                    List.of(shape, longs(base + "/c_start", channelAxis), longs(base + "/c_end", channelAxis + 1)),
                    Map.of());
            String trailing = node("Slice", base + "/trailing",
                    List.of(shape, longs(base + "/t_start", channelAxis + 1), longs(base + "/t_end", Long.MAX_VALUE)),
                    Map.of());
            // a trailing 1 keeps the product defined when the channel axis is the last one
            String trailingOrOne = node("Concat", base + "/trailing1", List.of(trailing, longs(base + "/one", 1)),
                    Map.of("axis", Attribute.ofInt(0)));
            String post = node("ReduceProd", base + "/post", List.of(trailingOrOne), Map.of("keepdims", Attribute.ofInt(1)));
            String target = node("Concat", base + "/target", List.of(longs(base + "/batch_pre", 0, -1), channels, post),
                    Map.of("axis", Attribute.ofInt(0)));
            reduceView = node("Reshape", base + "/view", List.of(tensor, target), Map.of());
            reduceAxes = new long[] {1, 3};
            if (quantiles) {
                String channelFirst = node("Transpose", base + "/channel_first", List.of(reduceView),
                        Map.of("perm", Attribute.ofInts(new long[] {0, 2, 1, 3})));
                flatView = node("Reshape", base + "/flat", List.of(channelFirst, longs(base + "/flat_shape", 0, 0, -1)),
                        Map.of());
            }
        }
        if (rank == 4 && channelAxis == 1 && !quantiles) {
            // NCHW per channel: ORT runs GlobalMax/AveragePool on its blocked NCHWc layout, with no reorder of the
            // activation (ReduceMax / ReduceMean would need one); there is no NCHWc op for the minimum
            long channels = channels(tensor);
            if (mean) outputs.mean = pooled(node("GlobalAveragePool", base + "/mean", List.of(tensor), Map.of()), channels);
            if (max) outputs.max = pooled(node("GlobalMaxPool", base + "/max", List.of(tensor), Map.of()), channels);
            if (min) outputs.min = twoD(sized(reduce("ReduceMin", base + "/min", reduceView, reduceAxes), channels));
            return outputs;
        }
        if (channelAxis < 0 && !quantiles) {
            // one value per sample: [B, 1] from a 2-D view (kept dims), else [B]
            boolean twoDimensional = rank == 2 || !reduceView.equals(tensor);
            if (mean) outputs.mean = perSample(reduce("ReduceMean", base + "/mean", reduceView, reduceAxes, twoDimensional), twoDimensional);
            if (min) outputs.min = perSample(reduce("ReduceMin", base + "/min", reduceView, reduceAxes, twoDimensional), twoDimensional);
            if (max) outputs.max = perSample(reduce("ReduceMax", base + "/max", reduceView, reduceAxes, twoDimensional), twoDimensional);
            return outputs;
        }
        if (rank == 2 && channelAxis == 1 && !quantiles) {
            // [B, K] per channel: the values themselves (Identity), K known from a Gemm reading it
            long features = gemmFeatures(tensor);
            if (mean) outputs.mean = twoD(sized(reduce("ReduceMean", base + "/mean", reduceView, reduceAxes), features));
            if (min) outputs.min = twoD(sized(reduce("ReduceMin", base + "/min", reduceView, reduceAxes), features));
            if (max) outputs.max = twoD(sized(reduce("ReduceMax", base + "/max", reduceView, reduceAxes), features));
            return outputs;
        }
        if (mean) outputs.mean = reduce("ReduceMean", base + "/mean", reduceView, reduceAxes);
        if (quantiles) {
            String flatShape = node("Shape", base + "/flat_dims", List.of(flatView), Map.of());
            String n = node("Slice", base + "/n", List.of(flatShape, longs(base + "/n_start", -1),
                    longs(base + "/n_end", Long.MAX_VALUE)), Map.of());
            outputs.elementCount = n;
            String lastIndex = node("Cast", base + "/n_minus_1", List.of(node("Sub", base + "/n_minus_1_int",
                    List.of(n, longs(base + "/one_", 1)), Map.of())), Map.of("to", Attribute.ofInt(ONNX_DOUBLE)));
            String abs = null;
            for (FusedReduction.Spec spec : specs) {
                if (spec.reducer() != Reducer.QUANTILE && spec.reducer() != Reducer.ABS_QUANTILE) continue;
                String source = flatView;
                if (spec.reducer() == Reducer.ABS_QUANTILE) {
                    if (abs == null) abs = node("Abs", base + "/abs", List.of(flatView), Map.of());
                    source = abs;
                }
                String q = base + "/" + spec.reducer().configName() + "_" + spec.level();
                // lower = floor(level * (n - 1)) in double, as FusedReduction.Ranks computes it in Java
                String lower = node("Cast", q + "/lower", List.of(node("Floor", q + "/lower_d", List.of(node("Mul",
                        q + "/position", List.of(lastIndex, scalarDouble(q + "/level", spec.level())), Map.of())),
                        Map.of())), Map.of("to", Attribute.ofInt(ONNX_INT64)));
                boolean fromTop = fromTop(spec.level());
                String k = fromTop
                        ? node("Sub", q + "/k", List.of(n, lower), Map.of())  // the n - lower largest
                        : node("Min", q + "/k", List.of(node("Add", q + "/lower_plus_2", List.of(lower,
                                longs(q + "/two", 2)), Map.of()), n), Map.of());  // the lower + 2 smallest
                String values = fresh(q + "/values");
                current.add(new Node(fresh(q + "/topk"), "TopK", "", List.of(source, k),
                        List.of(values, fresh(q + "/indices")),
                        Map.of("axis", Attribute.ofInt(-1), "largest", Attribute.ofInt(fromTop ? 1 : 0),
                                "sorted", Attribute.ofInt(1))));
                outputs.extremes.put(spec, values);
                // the first of the smallest values is the minimum, the first of the largest the maximum
                if (spec.reducer() == Reducer.QUANTILE && fromTop && outputs.maxFrom == null) outputs.maxFrom = spec;
                if (spec.reducer() == Reducer.QUANTILE && !fromTop && outputs.minFrom == null) outputs.minFrom = spec;
            }
        }
        if (min && outputs.minFrom == null) outputs.min = reduce("ReduceMin", base + "/min", reduceView, reduceAxes);
        if (max && outputs.maxFrom == null) outputs.max = reduce("ReduceMax", base + "/max", reduceView, reduceAxes);
        return outputs;
    }

    /**
     * Puts the added nodes into the graph, each tensor's right after the node producing it (graph inputs'
     * first): ONNX Runtime then reduces an activation while it is fresh in cache and frees it as early as
     * without statistics, instead of keeping every activation alive until reductions at the end of the
     * graph (measured: that doubled mobilenet_v2_tiny's inference time).
     */
    public void finish() {
        List<Node> ordered = new ArrayList<>();
        for (ValueInfo input : graph.inputs()) {
            ordered.addAll(added.getOrDefault(input.name(), List.of()));
        }
        for (Node node : graph.nodes()) {
            ordered.add(node);
            for (String output : node.outputs()) {
                ordered.addAll(added.getOrDefault(output, List.of()));
            }
        }
        graph.nodes().clear();
        graph.nodes().addAll(ordered);
        added.clear();
    }

    /**
     * Appends nodes joining {@code parts} (outputs with the batch first) into one [B, K] float output; called after
     * {@link #finish()}. Fetching one output instead of one per reduction saves the per-output cost of every run
     * (measured: ~2 µs each, 147 outputs on mobilenet_v2_tiny for DefaultQuantization). GlobalMax/AveragePool
     * outputs whose channel count is a multiple of 16 (ORT's widest NCHWc block) are joined first while still
     * [B, C, 1, 1] and without a Cast in between: ORT then concatenates them in its blocked layout and reorders once,
     * instead of once per pooled value (it must reorder every value that is itself a graph output, so parts are
     * graph outputs only when some width is unknown: see {@link Gathered#widths()}).
     */
    public Gathered gather(List<String> parts) {
        current = new ArrayList<>();
        List<String> layout = new ArrayList<>();
        List<String> flat = new ArrayList<>();
        List<String> blocked = parts.stream().filter(part -> pooled.contains(part) && widths.getOrDefault(part, 0L) > 0
                && widths.get(part) % 16 == 0).toList();
        if (blocked.size() > 1) {
            flat.add(flat(node("Concat", "pot4j_stats/channels", blocked, Map.of("axis", Attribute.ofInt(1)))));
            layout.addAll(blocked);
        }
        for (String part : parts) {
            if (!layout.contains(part)) {
                flat.add(twoD.contains(part) ? part : flat(part));
                layout.add(part);
            }
        }
        String all = node("Concat", "pot4j_stats/all", flat, Map.of("axis", Attribute.ofInt(1)));
        graph.nodes().addAll(current);
        current = null;
        Map<String, Long> known = new LinkedHashMap<>();
        for (String part : layout) {
            if (!widths.containsKey(part)) {
                known = null;
                break;
            }
            known.put(part, widths.get(part));
        }
        return new Gathered(all, List.copyOf(layout), known);
    }

    /**
     * The joined output, the parts in the order it holds them, and each part's values per sample when the graph
     * tells them all (Conv weights give an activation's channels), else null: the first run then fetches the
     * parts themselves to learn their shapes.
     */
    public record Gathered(String output, List<String> layout, Map<String, Long> widths) {
    }

    /**
     * [B, ...] as [B, k]. No Cast: the reduced values have the activations' type, one type per model (pot4j
     * quantizes float models; the collector reads any numeric type), and every node more costs session creation
     * time (measured: ~65 µs per added node on mobilenet_v2_tiny).
     */
    private String flat(String value) {
        return node("Flatten", value + "/flat", List.of(value), Map.of("axis", Attribute.ofInt(1)));
    }

    /** An output known to be [B, k]: joined without a Flatten. */
    private String twoD(String output) {
        twoD.add(output);
        return output;
    }

    private String perSample(String output, boolean twoDimensional) {
        sized(output, 1);
        return twoDimensional ? twoD(output) : output;
    }

    private String pooled(String output, long channels) {
        pooled.add(output);
        return sized(output, channels);
    }

    private String sized(String output, long valuesPerSample) {
        if (valuesPerSample > 0) {
            widths.put(output, valuesPerSample);
        }
        return output;
    }

    /** K of a [B, K] value read as A by a Gemm (transA 0) with an initializer B, else 0 (unknown). */
    private long gemmFeatures(String value) {
        for (Node consumer : graph.nodes()) {
            if (consumer.opType().equals("Gemm") && consumer.inputs().size() > 1 && consumer.input(0).equals(value)
                    && consumer.intAttribute("transA", 0) == 0) {
                Tensor b = graph.initializers().get(consumer.input(1));
                if (b != null && b.rank() == 2) {
                    return b.shape()[consumer.intAttribute("transB", 0) == 0 ? 0 : 1];
                }
            }
        }
        return 0;
    }

    /**
     * C of an NCHW value, 0 when the graph does not tell it for sure: a Conv reading it says C = weight [M, C / group,
     * kh, kw]; else the Conv producing it (weight [C, ...]), also through channel-preserving unary producers (Relu,
     * Clip, ...) and through Add / Mul / Sum whose inputs all have that C (a broadcast input, such as a [B, 1, H, W]
     * attention map, makes it unknown). A wrong C would fail the pass, so when in doubt: unknown (the first run then
     * learns the sizes).
     */
    private long channels(String value) {
        for (Node consumer : graph.nodes()) {
            if (consumer.opType().equals("Conv") && consumer.inputs().size() > 1 && consumer.input(0).equals(value)) {
                Tensor weight = graph.initializers().get(consumer.input(1));
                if (weight != null && weight.rank() == 4) {
                    return weight.shape()[1] * consumer.intAttribute("group", 1);
                }
            }
        }
        return producedChannels(value, 0);
    }

    private static final Set<String> CHANNEL_PRESERVING = Set.of("Relu", "Clip", "Sigmoid", "BatchNormalization",
            "LeakyRelu", "HardSwish", "HardSigmoid", "Tanh", "Identity");
    private static final Set<String> ELEMENT_WISE = Set.of("Add", "Mul", "Sum");

    private long producedChannels(String value, int depth) {
        Node producer = producers.get(value);
        if (producer == null || depth > 8 || !(producer.domain().isEmpty() || producer.domain().equals("ai.onnx"))) {
            return 0;
        }
        String op = producer.opType();
        if (op.equals("Conv") && producer.inputs().size() > 1) {
            Tensor weight = graph.initializers().get(producer.input(1));
            return weight != null && weight.rank() == 4 ? weight.shape()[0] : 0;
        }
        if (CHANNEL_PRESERVING.contains(op)) {
            return producedChannels(producer.input(0), depth + 1);
        }
        if (ELEMENT_WISE.contains(op)) {
            long channels = 0;
            for (String input : producer.inputs()) {
                long inputChannels = input.isEmpty() ? 0 : producedChannels(input, depth + 1);
                if (inputChannels == 0 || (channels != 0 && inputChannels != channels)) {
                    return 0;
                }
                channels = inputChannels;
            }
            return channels;
        }
        return 0;
    }

    /** Whether a quantile level reads the largest values (descending) rather than the smallest. */
    public static boolean fromTop(double level) {
        return level > 0.5;
    }

    private String reduce(String op, String name, String input, long[] axes) {
        return reduce(op, name, input, axes, false);
    }

    private String reduce(String op, String name, String input, long[] axes, boolean keepDims) {
        if (axes.length == 0) {
            return node("Identity", name, List.of(input), Map.of()); // [B, C] per channel: nothing to reduce
        }
        Map<String, Attribute> attributes = new LinkedHashMap<>();
        attributes.put("keepdims", Attribute.ofInt(keepDims ? 1 : 0));
        if (opset >= REDUCE_AXES_AS_INPUT) {
            return node(op, name, List.of(input, longs(name + "/axes", axes)), attributes);
        }
        attributes.put("axes", Attribute.ofInts(axes));
        return node(op, name, List.of(input), attributes);
    }

    private String node(String op, String name, List<String> inputs, Map<String, Attribute> attributes) {
        String output = fresh(name);
        current.add(new Node(fresh(name + "/" + op), op, "", inputs, List.of(output), attributes));
        return output;
    }

    private String longs(String name, long... values) {
        String unique = fresh(name);
        graph.initializers().put(unique, Tensor.ofLongs(new long[] {values.length}, values));
        return unique;
    }

    private String scalarDouble(String name, double value) {
        String unique = fresh(name);
        graph.initializers().put(unique, new Tensor(DataType.DOUBLE, new long[] {1}, new double[] {value}));
        return unique;
    }

    private String fresh(String base) {
        String name = base;
        for (int i = 2; !usedNames.add(name); i++) {
            name = base + "_" + i;
        }
        return name;
    }
}
