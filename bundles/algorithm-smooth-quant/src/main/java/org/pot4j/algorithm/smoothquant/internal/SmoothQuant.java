package org.pot4j.algorithm.smoothquant.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.model.Layers;

/**
 * SmoothQuant (Xiao et al. 2023, as in NNCF): activation outliers live in a few input channels
 * of MatMul/Gemm. With {@code s_j = max|X_j|^alpha / max|W_j|^(1-alpha)} the product is unchanged
 * when X's channel j is divided by s_j and W's input row j multiplied by it, and the outliers move
 * from the (per-tensor quantized) activation into the (per-channel quantized) weight. The division
 * is folded into X's producer when only these layers read X and the producer is a
 * LayerNormalization, or a MatMul/Gemm with an initializer weight (output channel j, and bias);
 * otherwise a Mul by {@code 1/s} is inserted in front of the layers. Layers reading the same X
 * share one s, computed from the largest weight row over all of them.
 */
@Component(service = QuantizationAlgorithm.class, property = QuantizationAlgorithm.PROPERTY + "=SmoothQuant")
public final class SmoothQuant implements QuantizationAlgorithm {

    static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.bounded("alpha", ParameterType.NUMBER, 0.5, 0.0, 1.0,
                    "migration strength: 0 leaves activations alone, 1 moves all of their range into the weights"),
            ParameterDescriptor.bounded("stat_subset_size", ParameterType.INTEGER, 300, 1.0, null,
                    "calibration samples for the activation ranges"),
            ParameterDescriptor.bounded("stat_batch_size", ParameterType.INTEGER, 1, 1.0, null, "accepted for POT compatibility"),
            ParameterDescriptor.optional("shuffle_data", ParameterType.BOOLEAN, false, "random calibration subset"),
            ParameterDescriptor.bounded("seed", ParameterType.INTEGER, 0, 0.0, null, "seed of the shuffled subset"));

    /** Layers reading one activation {@code x} whose channels lie on {@code axis}, of size {@code channels}. */
    record Group(String x, int axis, int channels, List<Node> layers) {
    }

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    @Override
    public List<StatisticRequest> statistics(AlgorithmContext context) {
        return groups(context.model()).stream().map(SmoothQuant::range).toList();
    }

    static StatisticRequest range(Group group) {
        return new StatisticRequest(group.x(), Reducer.ABS_MAX, Aggregator.MAX, group.axis(), 0.0, 0.0);
    }

    static List<Group> groups(Graph model) {
        Map<String, List<Node>> byInput = new LinkedHashMap<>();
        for (Node node : model.nodes()) {
            if (weight(model, node) != null && !model.isInitializer(node.input(0))) {
                byInput.computeIfAbsent(node.input(0), k -> new ArrayList<>()).add(node);
            }
        }
        List<Group> groups = new ArrayList<>();
        byInput.forEach((x, layers) -> {
            int channels = inputRows(model, layers.get(0));
            int axis = layers.get(0).opType().equals("Gemm") ? 1 : rank(model, x) - 1;
            if (axis >= 1 && layers.stream().allMatch(l -> inputRows(model, l) == channels)) {
                groups.add(new Group(x, axis, channels, layers));
            }
        });
        return groups;
    }

    private static int rank(Graph model, String value) {
        return model.valueInfo(value).map(ValueInfo::dims).map(List::size).orElse(0);
    }

    /** The FLOAT 2-D initializer weight of a MatMul or a Gemm (transA = 0), else null. */
    static Tensor weight(Graph model, Node node) {
        boolean matMul = node.opType().equals("MatMul") && node.domain().isEmpty();
        Tensor weight = matMul || Layers.isGemm(node) ? Layers.floatWeight(model, node) : null;
        return weight != null && weight.rank() == 2 && model.consumers(node.input(1)).size() == 1 ? weight : null;
    }

    static int inputRows(Graph model, Node node) {
        return Layers.inputChannels(node, weight(model, node));
    }

    @Override
    public void apply(AlgorithmContext context, Statistics statistics) {
        Parameters params = context.parameters().validate(PARAMETERS);
        double alpha = params.number("alpha", 0.5);
        Graph model = context.model().copy();
        List<Group> groups = groups(model);
        Statistics ranges = statistics;
        List<StatisticRequest> needed = groups.stream().map(SmoothQuant::range).toList();
        if (!needed.isEmpty() && (ranges == null || !needed.stream().allMatch(ranges::contains))) {
            int[] indices = context.calibrationIndices((int) params.integer("stat_subset_size", 300),
                    params.bool("shuffle_data", false), params.integer("seed", 0));
            ranges = context.collect(context.model(), null, indices, needed);
        }
        List<Map<String, Object>> smoothed = new ArrayList<>();
        for (Group group : groups) {
            context.checkCancelled();
            float[] xMax = ranges.get(range(group));
            if (xMax.length != group.channels()) {
                continue;
            }
            double[] wMax = new double[group.channels()];
            for (Node layer : group.layers()) {
                Tensor w = model.initializers().get(layer.input(1));
                float[] values = w.floats();
                long[] shape = w.shape();
                int outputs = Layers.outputChannels(layer, w);
                for (int j = 0; j < wMax.length; j++) {
                    for (int o = 0; o < outputs; o++) {
                        wMax[j] = Math.max(wMax[j], Math.abs(values[Layers.matrixIndex(layer, shape, j, o)]));
                    }
                }
            }
            double[] s = new double[group.channels()];
            double largest = 0;
            for (int j = 0; j < s.length; j++) {
                s[j] = xMax[j] > 0 && wMax[j] > 0
                        ? Math.max(1e-5, Math.pow(xMax[j], alpha) / Math.pow(wMax[j], 1 - alpha)) : 1.0;
                largest = Math.max(largest, s[j]);
            }
            for (Node layer : group.layers()) {
                Tensor w = model.initializers().get(layer.input(1));
                float[] values = Layers.floatsCopy(model, layer.input(1));
                int outputs = Layers.outputChannels(layer, w);
                for (int j = 0; j < s.length; j++) {
                    for (int o = 0; o < outputs; o++) {
                        int i = Layers.matrixIndex(layer, w.shape(), j, o);
                        values[i] = (float) (values[i] * s[j]);
                    }
                }
                Layers.replaceFloats(model, layer.input(1), values);
            }
            String foldedInto = fold(model, group, s).orElseGet(() -> insertMul(model, group, s));
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("activation", group.x());
            entry.put("layers", group.layers().stream().map(Node::name).toList());
            entry.put("divided_in", foldedInto);
            entry.put("max_scale", largest);
            smoothed.add(entry);
        }
        context.setModel(model);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("alpha", alpha);
        report.put("smoothed", smoothed);
        context.report("smooth_quant", report);
    }

    /** Divides X's channels inside its producer; empty when that is not possible. */
    private static Optional<String> fold(Graph model, Group group, double[] s) {
        Node producer = model.producer(group.x()).orElse(null);
        boolean onlyReaders = model.consumers(group.x()).size() == group.layers().size()
                && model.outputs().stream().noneMatch(o -> o.name().equals(group.x()));
        if (producer == null || !onlyReaders) {
            return Optional.empty();
        }
        if (producer.opType().equals("LayerNormalization") && lastAxis(producer)) {
            if (!divisible(model, producer.input(1), s.length) || (!producer.input(2).isEmpty()
                    && !divisible(model, producer.input(2), s.length))) {
                return Optional.empty();
            }
            divide(model, producer.input(1), s);
            if (!producer.input(2).isEmpty()) {
                divide(model, producer.input(2), s);
            }
            return Optional.of(producer.name());
        }
        if (weight(model, producer) != null && model.consumers(producer.input(1)).size() == 1) {
            Tensor w = model.initializers().get(producer.input(1));
            int outputs = Layers.outputChannels(producer, w);
            if (outputs != s.length || (!producer.input(2).isEmpty() && !divisible(model, producer.input(2), s.length))) {
                return Optional.empty();
            }
            float[] values = Layers.floatsCopy(model, producer.input(1));
            int rows = Layers.inputChannels(producer, w);
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < outputs; o++) {
                    int i = Layers.matrixIndex(producer, w.shape(), r, o);
                    values[i] = (float) (values[i] / s[o]);
                }
            }
            Layers.replaceFloats(model, producer.input(1), values);
            if (!producer.input(2).isEmpty()) {
                divide(model, producer.input(2), s);
            }
            return Optional.of(producer.name());
        }
        return Optional.empty();
    }

    private static boolean lastAxis(Node layerNorm) {
        return layerNorm.intAttribute("axis", -1) == -1;
    }

    private static boolean divisible(Graph model, String name, int channels) {
        Tensor t = model.initializers().get(name);
        return t != null && t.type() == DataType.FLOAT && t.size() == channels && model.consumers(name).size() == 1;
    }

    private static void divide(Graph model, String name, double[] s) {
        float[] values = Layers.floatsCopy(model, name);
        for (int j = 0; j < values.length; j++) {
            values[j] = (float) (values[j] / s[j]);
        }
        Layers.replaceFloats(model, name, values);
    }

    /** X · (1/s) in a new Mul node read by the group's layers only. */
    private static String insertMul(Graph model, Group group, double[] s) {
        String base = group.x().replaceAll("[^A-Za-z0-9_./]", "_") + "_smooth";
        String scale = unique(model, base + "_scale");
        String output = unique(model, base + "_output");
        float[] inverse = new float[s.length];
        for (int j = 0; j < s.length; j++) {
            inverse[j] = (float) (1.0 / s[j]);
        }
        // the channel axis is the last one (MatMul: rank - 1, Gemm: 1 of 2), so a [K] tensor broadcasts onto it
        model.initializers().put(scale, Tensor.ofFloats(new long[] {s.length}, inverse));
        Node mul = new Node(unique(model, base + "_mul"), "Mul", List.of(group.x(), scale), List.of(output));
        int position = model.nodes().indexOf(group.layers().get(0));
        model.nodes().add(position, mul);
        for (Node layer : group.layers()) {
            layer.inputs().set(0, output);
        }
        return mul.name();
    }

    private static String unique(Graph model, String name) {
        String candidate = name;
        while (model.isInitializer(candidate) || model.node(candidate).isPresent()
                || !model.consumers(candidate).isEmpty() || model.producer(candidate).isPresent()) {
            candidate = candidate + "_";
        }
        return candidate;
    }
}
