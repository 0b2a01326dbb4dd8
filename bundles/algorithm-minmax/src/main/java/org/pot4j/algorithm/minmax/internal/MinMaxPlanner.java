package org.pot4j.algorithm.minmax.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.OperationConfig;
import org.pot4j.api.device.QuantizationSpace;
import org.pot4j.api.device.RuntimeOp;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.plan.QuantizationPlan;
import org.pot4j.api.plan.QuantizationPoint;
import org.pot4j.api.plan.Quantizer;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.model.FloatStem;
import org.pot4j.model.Layers;
import org.pot4j.model.TensorTypes;

/**
 * Decides, for one model, device and parameter set, which op inputs are quantized and how
 * (the same answer in both phases: statistics and apply), then turns statistics into ranges.
 * Deterministic: graph order, ordered maps, no clocks or randomness.
 */
final class MinMaxPlanner {

    /** One quantization point with its space; activation sign is decided later from statistics. */
    record PointSpec(QuantizationPoint point, String opType, int bits, boolean symmetric, int axis, Long levelLow,
                     Long levelHigh, RangeEstimator estimator) {
    }

    private final Graph graph;
    /** Where a user's activation level_low comes from, for errors about it. */
    private String activationLevelLowField = "activations.level_low";
    private final HardwareConfig hardware;
    private final Parameters params;
    private final String preset;
    private final String effectivePreset;
    private final List<String> notes = new ArrayList<>();
    private final Map<String, String> ignored = new LinkedHashMap<>();
    private final List<PointSpec> points = new ArrayList<>();
    private final List<Set<String>> unifiedGroups = new ArrayList<>();
    private final NonNegativeValues nonNegative;
    private final TensorTypes types;
    /** Every node's points before placement (node → points in input order), graph order. */
    private final Map<String, List<PointSpec>> candidates = new LinkedHashMap<>();
    /** Nodes that are no quantization point by placement rules (a constant operand), with why. */
    private final Map<String, String> placementFloat = new LinkedHashMap<>();
    /** Candidates left in float by the last selection (runtime placement, ranges), with why. */
    private final Map<String, String> selectedFloat = new LinkedHashMap<>();
    /** The integer kernel the runtime is expected to run per quantized node. */
    private final Map<String, String> kernels = new LinkedHashMap<>();
    /** Nodes kept float by a later stage (the latency check), with why; {@link #build} plans around them. */
    private final Map<String, String> forcedFloat = new LinkedHashMap<>();
    private boolean symmetricActivations;
    private Optional<Parameters> activationsBlock = Optional.empty();

    MinMaxPlanner(Graph graph, HardwareConfig hardware, Parameters validatedParams, QuantizationPlan previous) {
        this.graph = graph;
        this.nonNegative = new NonNegativeValues(graph);
        this.types = TensorTypes.infer(graph);
        this.hardware = hardware;
        this.params = validatedParams;
        this.preset = params.string("preset", "performance");
        // POT: the accuracy preset (asymmetric weights) is not used on CPU-like devices; it becomes mixed.
        if (preset.equals("accuracy") && List.of("CPU", "GPU", "ANY").contains(hardware.device())) {
            this.effectivePreset = "mixed";
            notes.add("preset accuracy maps to mixed on " + hardware.device() + " (as in POT)");
        } else {
            this.effectivePreset = preset;
        }
        if (previous != null) {
            ignored.putAll(previous.ignoredNodes());
        }
        List<Parameters> scopes = new ArrayList<>();
        params.optionalObject("ignored").ifPresent(scopes::add);
        params.optionalObject("ignored_scope").ifPresent(scopes::add);
        IgnoredScope.resolve(graph, scopes).forEach(ignored::putIfAbsent);
        // before ranges: the layers after a float stem are calibrated on its float output
        if (params.bool("float_stem", true) && "true".equals(hardware.properties().get("float_stem"))) {
            Map<String, String> stem = FloatStem.find(graph);
            stem.forEach((node, why) -> ignored.putIfAbsent(node, "float stem: " + why));
            if (!stem.isEmpty()) {
                notes.add("float stem on " + hardware.device() + ": " + String.join(", ", stem.keySet())
                        + " stay in float (ONNX Runtime's int8 kernels run them slower; float_stem: false quantizes them)");
            }
        }
        plan();
    }

    List<PointSpec> points() {
        return points;
    }

    Map<String, String> ignored() {
        return ignored;
    }

    /** Nodes left in float by placement and ranges (not by the user), with why. */
    Map<String, String> keptFloat() {
        Map<String, String> all = new LinkedHashMap<>(placementFloat);
        all.putAll(selectedFloat);
        return all;
    }

    /** Leaves these nodes float (node → why) in the next {@link #build}. */
    void keepFloat(Map<String, String> reasons) {
        forcedFloat.putAll(reasons);
    }

    /** Undoes {@link #keepFloat} for these nodes. */
    void unkeepFloat(java.util.Collection<String> nodes) {
        nodes.forEach(forcedFloat::remove);
    }

    /** The quantized nodes grouped into regions linked through integer kernels, graph order. */
    List<List<String>> regions() {
        Map<String, List<String>> tensors = new LinkedHashMap<>();
        for (PointSpec spec : points) {
            if (!spec.point().isWeight() && spec.point().inputIndex() >= 0) {
                tensors.computeIfAbsent(spec.point().nodeName(), k -> new ArrayList<>()).add(spec.point().tensor());
            }
        }
        return RuntimePlacement.regions(graph, hardware.runtime(), tensors);
    }

    /** The integer kernel the device's runtime is expected to run for each quantized node (empty: not described). */
    Map<String, String> kernels() {
        return kernels;
    }

    List<String> notes() {
        return notes;
    }

    String preset() {
        return preset;
    }

    String effectivePreset() {
        return effectivePreset;
    }

    /** The activation statistics the ranges need, without duplicates, in point order. */
    List<StatisticRequest> requests() {
        Set<StatisticRequest> requests = new LinkedHashSet<>();
        for (PointSpec spec : points) {
            if (!spec.point().isWeight()) {
                String tensor = spec.point().tensor();
                if (nonNegative.reason(tensor).isEmpty()) {
                    requests.add(spec.estimator().min().request(tensor, false));
                }
                requests.add(highEnd(spec).request(tensor, true));
                if (!hardware.runtime().isEmpty() && PowerRanges.isPower(graph, tensor)) {
                    requests.add(PowerRanges.medianRequest(tensor));
                }
            }
        }
        return List.copyOf(requests);
    }

    /**
     * The quantized nodes with an activation input that 8 bits flatten ({@link PowerRanges}); they stay float and the
     * placement is redone around them. Only on devices that describe their runtime (the median is requested there).
     */
    private Map<String, String> flattenedByEightBits(Statistics statistics) {
        Map<String, String> result = new LinkedHashMap<>();
        if (statistics == null || hardware.runtime().isEmpty()) {
            return result;
        }
        for (PointSpec spec : points) {
            String tensor = spec.point().tensor();
            if (spec.point().isWeight() || spec.point().inputIndex() < 0 || result.containsKey(spec.point().nodeName())
                    || spec.bits() > 8) {
                continue;
            }
            PowerRanges.flattened(tensor, activationRange(spec, statistics), statistics)
                    .ifPresent(why -> result.put(spec.point().nodeName(), why));
        }
        return result;
    }

    /**
     * The high end's estimator; on a non-negative tensor abs_max is max (the same value, and ONNX Runtime then
     * computes it without the minimum).
     */
    private RangeEstimator.End highEnd(PointSpec spec) {
        RangeEstimator.End max = spec.estimator().max();
        if (max.type() == Reducer.ABS_MAX && nonNegative.reason(spec.point().tensor()).isPresent()) {
            return new RangeEstimator.End(Reducer.MAX, max.aggregator(), max.outlierProb(), max.clippingValue());
        }
        return max;
    }

    private void plan() {
        Optional<Parameters> weightsBlock = params.optionalObject("weights").map(b -> b.validate(MinMaxParameters.block()));
        Optional<Parameters> activationsBlock = params.optionalObject("activations").map(b -> b.validate(MinMaxParameters.block()));
        activationLevelLowField = activationsBlock.filter(b -> b.has("level_low")).map(b -> b.pathOf("level_low"))
                .orElse("activations.level_low");
        boolean symmetricWeights = !effectivePreset.equals("accuracy");
        boolean symmetricActivations = effectivePreset.equals("performance");
        this.symmetricActivations = symmetricActivations;
        this.activationsBlock = activationsBlock;
        for (Node node : graph.nodes()) {
            Optional<OperationConfig> found = operation(node);
            if (found.isEmpty() || (found.get().activations().isEmpty() && found.get().weights().isEmpty())) {
                continue;
            }
            OperationConfig op = found.get();
            if (ignored.containsKey(node.name())) {
                continue;
            }
            List<PointSpec> nodePoints = new ArrayList<>();
            RuntimeOp runtimeOp = hardware.runtime().get(node.opType());
            List<Integer> activationIndices = new ArrayList<>(op.activationInputs());
            if (runtimeOp != null && runtimeOp.allInputs()) {
                activationIndices = new ArrayList<>();
                for (int i = 0; i < node.inputs().size(); i++) {
                    activationIndices.add(i);
                }
            }
            if (runtimeOp != null && runtimeOp.quantizedInputProducers()) {
                Optional<String> constant = activationIndices.stream().filter(i -> i < node.inputs().size())
                        .map(node::input).filter(t -> !t.isEmpty() && isConstant(t)).findFirst();
                if (constant.isPresent()) {
                    placementFloat.put(node.name(), "placement: " + node.opType() + " with the constant operand "
                            + constant.get() + (runtimeOp.allInputs() ? " (" + runtimeOp.kernel()
                            + " would need it quantized too)" : " (a scale or shift)") + " is not a quantization point");
                    continue;
                }
            }
            for (int index : op.weightInputs()) {
                String tensor = node.input(index);
                if (tensor.isEmpty()) {
                    continue;
                }
                if (graph.isInitializer(tensor)) {
                    Tensor weight = graph.initializers().get(tensor);
                    if (weight.type() != DataType.FLOAT || op.weights().isEmpty()) {
                        continue;
                    }
                    QuantizationSpace space = choose(op, op.weights(), symmetricWeights, weightsBlock, "weights");
                    int axis = space.perChannel() ? Layers.outputChannelAxis(node, weight) : -1;
                    RangeEstimator estimator = RangeEstimator.forWeights(space.symmetric(),
                            weightsBlock.flatMap(b -> b.optionalObject("range_estimator")));
                    nodePoints.add(new PointSpec(new QuantizationPoint(node.name(), index, tensor, QuantizationPoint.Kind.WEIGHT),
                            node.opType(), bits(space, weightsBlock), space.symmetric(), axis,
                            level(space.levelLow(), weightsBlock, "level_low"), level(space.levelHigh(), weightsBlock, "level_high"),
                            estimator));
                } else if (!activationIndices.contains(index)) {
                    // MatMul of two activations: the second operand is quantized like the first.
                    activationIndices.add(index);
                }
            }
            List<String> activationTensors = new ArrayList<>();
            for (int index : activationIndices) {
                String tensor = node.input(index);
                if (tensor.isEmpty() || isConstant(tensor) || !isFloat(tensor) || op.activations().isEmpty()) {
                    continue;
                }
                QuantizationSpace space = choose(op, op.activations(), symmetricActivations, activationsBlock, "activations");
                RangeEstimator estimator = RangeEstimator.forActivations(space.symmetric(),
                        activationsBlock.flatMap(b -> b.optionalObject("range_estimator")));
                nodePoints.add(new PointSpec(new QuantizationPoint(node.name(), index, tensor, QuantizationPoint.Kind.ACTIVATION),
                        node.opType(), bits(space, activationsBlock), space.symmetric(), -1,
                        level(space.levelLow(), activationsBlock, "level_low"),
                        level(space.levelHigh(), activationsBlock, "level_high"), estimator));
                activationTensors.add(tensor);
            }
            nodePoints.sort((a, b) -> Integer.compare(a.point().inputIndex(), b.point().inputIndex()));
            if (!nodePoints.isEmpty()) {
                candidates.put(node.name(), nodePoints);
            }
        }
        select(Map.of());
    }

    /**
     * The points of the candidates the device's runtime runs as integer kernels ({@link RuntimePlacement}), with the
     * nodes in {@code keptFloat} (node → why) left out first; their output points and unified scale groups.
     */
    private void select(Map<String, String> keptFloat) {
        Map<String, Map<Integer, String>> activationPoints = new LinkedHashMap<>();
        Set<String> withWeights = new LinkedHashSet<>();
        candidates.forEach((name, specs) -> {
            if (keptFloat.containsKey(name)) {
                return;
            }
            for (PointSpec spec : specs) {
                if (spec.point().isWeight()) {
                    withWeights.add(name);
                } else {
                    activationPoints.computeIfAbsent(name, k -> new LinkedHashMap<>())
                            .put(spec.point().inputIndex(), spec.point().tensor());
                }
            }
        });
        RuntimePlacement.Result placement = RuntimePlacement.resolve(graph, hardware.runtime(), activationPoints,
                withWeights, ignored.keySet());
        selectedFloat.clear();
        selectedFloat.putAll(keptFloat);
        selectedFloat.putAll(placement.floatNodes());
        kernels.clear();
        kernels.putAll(placement.kernels());
        points.clear();
        unifiedGroups.clear();
        Map<String, Set<String>> unifiedByTensor = new LinkedHashMap<>();
        for (Node node : graph.nodes()) {
            List<PointSpec> nodePoints = candidates.get(node.name());
            if (nodePoints == null || selectedFloat.containsKey(node.name())) {
                continue;
            }
            OperationConfig op = operation(node).orElseThrow();
            points.addAll(nodePoints);
            Set<String> activationTensors = nodePoints.stream().filter(p -> !p.point().isWeight())
                    .map(p -> p.point().tensor()).collect(Collectors.toCollection(LinkedHashSet::new));
            if (LAYERS.contains(node.opType()) && nodePoints.stream().anyMatch(p -> p.point().isWeight())
                    && !activationTensors.isEmpty()) {
                outputPoint(node, op, symmetricActivations, activationsBlock,
                        placement.outputQuantized().contains(node.name())).ifPresent(points::add);
            }
            if (op.unifiedScales() && activationTensors.size() > 1) {
                unify(unifiedByTensor, activationTensors);
            }
        }
        unifiedByTensor.values().stream().distinct().forEach(unifiedGroups::add);
    }

    /** Layers that ONNX Runtime fuses into one integer kernel only when their result goes through QuantizeLinear. */
    private static final Set<String> LAYERS = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul");
    /** Activations ONNX Runtime fuses into the layer before the output quantizer. */
    private static final Set<String> FUSED_ACTIVATIONS = Set.of("Relu", "Clip", "LeakyRelu");

    /**
     * A quantized layer whose result (after a fused Relu/Clip) is a model output gets an output point, as ONNX
     * Runtime's quantizer writes it: without a QuantizeLinear after it, ONNX Runtime runs the layer in float
     * (e.g. a classifier's last Gemm). Encoded as input index {@code -1} (output #0), the QDQ writer's convention.
     */
    private Optional<PointSpec> outputPoint(Node layer, OperationConfig op, boolean symmetricActivations,
                                            Optional<Parameters> activationsBlock, boolean readInFloat) {
        if (layer.outputs().isEmpty()) {
            return Optional.empty();
        }
        Node producer = layer;
        String result = layer.outputs().get(0);
        List<Node> readers = graph.consumers(result);
        if (readers.size() == 1 && fusedActivation(readers.get(0))
                && !ignored.containsKey(readers.get(0).name()) && !isGraphOutput(result)) {
            producer = readers.get(0);
            result = producer.outputs().get(0);
        }
        if (!(isGraphOutput(result) || readInFloat) || !isFloat(result)) {
            return Optional.empty();
        }
        QuantizationSpace space = choose(op, op.activations(), symmetricActivations, activationsBlock, "activations");
        RangeEstimator estimator = RangeEstimator.forActivations(space.symmetric(),
                activationsBlock.flatMap(b -> b.optionalObject("range_estimator")));
        return Optional.of(new PointSpec(new QuantizationPoint(producer.name(), -1, result, QuantizationPoint.Kind.ACTIVATION),
                producer.opType(), bits(space, activationsBlock), space.symmetric(), -1,
                level(space.levelLow(), activationsBlock, "level_low"),
                level(space.levelHigh(), activationsBlock, "level_high"), estimator));
    }

    /** Whether the runtime folds this op into the quantizer after a layer (the device's runtime, else Relu/Clip/LeakyRelu). */
    private boolean fusedActivation(Node node) {
        if (hardware.runtime().isEmpty()) {
            return FUSED_ACTIVATIONS.contains(node.opType());
        }
        RuntimeOp op = hardware.runtime().get(node.opType());
        return op != null && op.role() == RuntimeOp.Role.FUSED_ACTIVATION;
    }

    private boolean isGraphOutput(String tensor) {
        return graph.outputs().stream().anyMatch(output -> output.name().equals(tensor));
    }

    private static void unify(Map<String, Set<String>> byTensor, Set<String> tensors) {
        Set<String> merged = new LinkedHashSet<>();
        for (String tensor : tensors) {
            merged.addAll(byTensor.getOrDefault(tensor, Set.of(tensor)));
        }
        for (String tensor : merged) {
            byTensor.put(tensor, merged);
        }
    }

    /** The device's config for a node: by op type, and the config's attributes must match. */
    private Optional<OperationConfig> operation(Node node) {
        return hardware.operations().stream()
                .filter(o -> o.opType().equals(node.opType()) && IgnoredScope.attributesMatch(node, o.attributes()))
                .findFirst();
    }

    /**
     * The space for one input: the user's bits/mode/granularity must be allowed by the device
     * (else a named error); among the allowed ones, the preset's mode is preferred.
     */
    private QuantizationSpace choose(OperationConfig op, List<QuantizationSpace> allowed, boolean presetSymmetric,
                                     Optional<Parameters> block, String kind) {
        List<QuantizationSpace> candidates = allowed;
        if (block.isPresent()) {
            Parameters b = block.get();
            if (b.has("bits")) {
                long bits = b.integer("bits");
                candidates = require(candidates, s -> s.bits() == bits, b, "bits", bits, op, allowed, kind);
            }
            if (b.has("mode")) {
                String mode = b.string("mode");
                candidates = require(candidates, s -> s.mode().equals(mode), b, "mode", mode, op, allowed, kind);
            }
            if (b.has("granularity")) {
                String granularity = b.string("granularity");
                candidates = require(candidates, s -> s.granularity().equals(granularity), b, "granularity", granularity,
                        op, allowed, kind);
            }
        }
        if (kind.equals("weights") && effectivePreset.equals("performance")
                && block.map(b -> !b.has("bits")).orElse(true) && candidates.size() > 1) {
            // POT on a device offering several weight widths (GNA: 8 and 16 bits): performance takes the narrowest,
            // the other presets the device's first (widest) choice
            int narrowest = candidates.stream().mapToInt(QuantizationSpace::bits).min().orElseThrow();
            candidates = candidates.stream().filter(s -> s.bits() == narrowest).toList();
        }
        String wanted = presetSymmetric ? "symmetric" : "asymmetric";
        for (QuantizationSpace space : candidates) {
            if (space.mode().equals(wanted)) {
                return space;
            }
        }
        QuantizationSpace fallback = candidates.get(0);
        String note = hardware.device() + " requires " + fallback.mode() + " " + kind + " for " + op.opType()
                + " (preset " + preset + " asked for " + wanted + ")";
        if (!notes.contains(note)) {
            notes.add(note);
        }
        return fallback;
    }

    private List<QuantizationSpace> require(List<QuantizationSpace> candidates,
                                            java.util.function.Predicate<QuantizationSpace> test, Parameters block,
                                            String field, Object value, OperationConfig op,
                                            List<QuantizationSpace> allowed, String kind) {
        List<QuantizationSpace> kept = candidates.stream().filter(test).toList();
        if (kept.isEmpty()) {
            throw new InvalidInputException(block.pathOf(field), value, hardware.device() + " allows for " + op.opType()
                    + " " + kind + ": " + allowed.stream().map(MinMaxPlanner::describe).collect(Collectors.joining("; ")));
        }
        return kept;
    }

    static String describe(QuantizationSpace s) {
        return s.bits() + "-bit " + s.mode() + " " + s.granularity()
                + (s.levelLow() == null ? "" : " [" + s.levelLow() + ", " + s.levelHigh() + "]");
    }

    private static int bits(QuantizationSpace space, Optional<Parameters> block) {
        return space.bits();
    }

    private static Long level(Long fromSpace, Optional<Parameters> block, String key) {
        return block.filter(b -> b.has(key)).map(b -> b.integer(key)).orElse(fromSpace);
    }

    private boolean isConstant(String tensor) {
        return graph.isInitializer(tensor) || graph.producer(tensor).map(n -> n.opType().equals("Constant")).orElse(false)
                || (graph.producer(tensor).isPresent() && types.isConstant(tensor));
    }

    /** A float activation with a batch dimension: not an integer, a scalar or shape arithmetic (see TensorTypes). */
    private boolean isFloat(String tensor) {
        return graph.valueInfo(tensor).map(ValueInfo::type).map(t -> t == DataType.FLOAT).orElse(true)
                && types.notFloatActivation(tensor).isEmpty();
    }

    // ---------------------------------------------------------------- ranges

    /**
     * Whether a node reads an activation that can be negative (not non-negative by construction): ONNX Runtime feeds
     * such a tensor to its u8 kernels shifted around 128, where 8-bit weights saturate the int16 pair sums.
     */
    boolean readsSignedActivation(String nodeName) {
        // input points only: an output point (inputIndex -1) is the layer's result, not what its kernel reads
        return points.stream().anyMatch(spec -> spec.point().nodeName().equals(nodeName) && !spec.point().isWeight()
                && spec.point().inputIndex() >= 0 && nonNegative.reason(spec.point().tensor()).isEmpty());
    }

    /** Turns specs and statistics into a plan; {@code sevenBit} names the points the saturation fix narrows. */
    QuantizationPlan build(Statistics statistics, Set<QuantizationPoint> sevenBit) {
        select(forcedFloat);
        Map<String, String> flattened = flattenedByEightBits(statistics);
        if (!flattened.isEmpty()) {
            Map<String, String> all = new LinkedHashMap<>(forcedFloat);
            flattened.forEach(all::putIfAbsent);
            select(all);
        }
        int samples = statistics == null ? 0 : statistics.samples();
        Map<String, float[]> activationRange = new LinkedHashMap<>();
        Map<String, PointSpec> firstSpec = new LinkedHashMap<>();
        for (PointSpec spec : points) {
            if (!spec.point().isWeight() && !activationRange.containsKey(spec.point().tensor())) {
                activationRange.put(spec.point().tensor(), activationRange(spec, statistics));
                firstSpec.put(spec.point().tensor(), spec);
            }
        }
        for (Set<String> group : unifiedGroups) {
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (String tensor : group) {
                lo = Math.min(lo, activationRange.get(tensor)[0]);
                hi = Math.max(hi, activationRange.get(tensor)[1]);
            }
            for (String tensor : group) {
                activationRange.put(tensor, new float[] {lo, hi});
            }
        }
        QuantizationPlan plan = new QuantizationPlan();
        plan.ignoredNodes().putAll(ignored);
        keptFloat().forEach(plan.ignoredNodes()::putIfAbsent);
        unifiedGroups.forEach(g -> plan.unifiedScaleGroups().add(new LinkedHashSet<>(g)));
        for (PointSpec spec : points) {
            Quantizer quantizer = spec.point().isWeight() ? weightQuantizer(spec)
                    : activationQuantizer(spec, activationRange.get(spec.point().tensor()), samples,
                    unifiedGroups.stream().anyMatch(g -> g.contains(spec.point().tensor())));
            if (sevenBit.contains(spec.point())) {
                quantizer = saturationFix(quantizer);
            }
            plan.quantizers().put(spec.point(), quantizer);
        }
        return plan;
    }

    /** [low end, high end] as estimated; for symmetric specs the high end is a magnitude. */
    private float[] activationRange(PointSpec spec, Statistics statistics) {
        String tensor = spec.point().tensor();
        RangeEstimator.End min = spec.estimator().min();
        RangeEstimator.End max = highEnd(spec);
        // a non-negative tensor's low end estimate is >= 0, and the quantizer's range starts at min(low, 0) = 0
        float lo = nonNegative.reason(tensor).isPresent() ? min.clip(0f, false)
                : min.clip(statistics.get(min.request(tensor, false))[0], false);
        float hi = max.clip(statistics.get(max.request(tensor, true))[0], true);
        if (spec.symmetric()) {
            hi = Math.abs(hi);
        }
        return new float[] {lo, hi};
    }

    private Quantizer activationQuantizer(PointSpec spec, float[] range, int samples, boolean unified) {
        float lo = range[0];
        float hi = range[1];
        String tensor = spec.point().tensor();
        String lowEnd = nonNegative.reason(tensor).map(why -> "0, non-negative by construction (" + why + ")")
                .orElseGet(() -> spec.estimator().min().describe(samples));
        // symmetric: the range is ±(high end) when signed, [0, high end] when not; the low end only decides the sign
        String source = (spec.symmetric()
                ? (lo < 0 ? "symmetric ±" : "symmetric [0, max]: max ") + highEnd(spec).describe(samples)
                        + "; sign from min: " + lowEnd
                : "min: " + lowEnd + "; max: " + highEnd(spec).describe(samples))
                + (unified ? "; unified scale group" : "");
        if (spec.symmetric()) {
            boolean signed = lo < 0;
            long[] levels = Quantizer.levels(spec.bits(), signed, true);
            long low = spec.levelLow() != null ? spec.levelLow() : levels[0];
            if (signed && low >= 0) {
                // unsigned levels on a signed tensor would clip every negative value to zero
                throw new InvalidInputException(activationLevelLowField, low, "a negative level for the signed tensor '"
                        + tensor + "' (calibrated range " + lo + " .. " + hi + "; symmetric, zero point 0), e.g. "
                        + levels[0] + ", or no level_low/level_high: the preset's levels follow each tensor's sign");
            }
            long high = spec.levelHigh() != null ? spec.levelHigh() : levels[1];
            return new Quantizer(spec.bits(), true, -1, low, high, new float[] {signed ? -hi : 0f}, new float[] {hi}, source);
        }
        long[] levels = Quantizer.levels(spec.bits(), false, false);
        long low = spec.levelLow() != null ? spec.levelLow() : levels[0];
        long high = spec.levelHigh() != null ? spec.levelHigh() : levels[1];
        return new Quantizer(spec.bits(), false, -1, low, high, new float[] {Math.min(lo, hi)}, new float[] {hi}, source);
    }

    private Quantizer weightQuantizer(PointSpec spec) {
        Tensor weight = graph.initializers().get(spec.point().tensor());
        float[] data = weight.floats();
        long[] shape = weight.shape();
        int axis = spec.axis();
        int channels = axis < 0 ? 1 : (int) shape[axis];
        int inner = 1;
        for (int d = axis + 1; axis >= 0 && d < shape.length; d++) {
            inner *= (int) shape[d];
        }
        int outer = axis < 0 ? 1 : data.length / (channels * inner);
        if (axis < 0) {
            inner = data.length;
        }
        float[] mins = new float[channels];
        float[] maxs = new float[channels];
        float[] values = new float[outer * inner];
        RangeEstimator.End minEnd = spec.estimator().min();
        RangeEstimator.End maxEnd = spec.estimator().max();
        for (int c = 0; c < channels; c++) {
            int k = 0;
            for (int o = 0; o < outer; o++) {
                System.arraycopy(data, (o * channels + c) * inner, values, k, inner);
                k += inner;
            }
            float hi = maxEnd.clip(reduce(values, maxEnd, true), true);
            if (spec.symmetric()) {
                hi = Math.abs(hi);
                mins[c] = -hi;
                maxs[c] = hi;
            } else {
                mins[c] = Math.min(minEnd.clip(reduce(values, minEnd, false), false), hi);
                maxs[c] = hi;
            }
        }
        long[] levels = Quantizer.levels(spec.bits(), true, spec.symmetric());
        long low = spec.levelLow() != null ? spec.levelLow() : levels[0];
        long high = spec.levelHigh() != null ? spec.levelHigh() : levels[1];
        String source = (axis < 0 ? "per-tensor " : "per-channel (axis " + axis + ") ")
                + (spec.symmetric() ? maxEnd.type().configName() : minEnd.type().configName() + "/" + maxEnd.type().configName())
                + " of the weights";
        return new Quantizer(spec.bits(), spec.symmetric(), axis, low, high, mins, maxs, source);
    }

    /** One reducer over a whole array (weights are a single "sample"). */
    static float reduce(float[] values, RangeEstimator.End end, boolean high) {
        Reducer type = end.type();
        switch (type) {
            case MIN: {
                float m = Float.POSITIVE_INFINITY;
                for (float v : values) m = Math.min(m, v);
                return m;
            }
            case MAX: {
                float m = Float.NEGATIVE_INFINITY;
                for (float v : values) m = Math.max(m, v);
                return m;
            }
            case ABS_MAX: {
                float m = 0;
                for (float v : values) m = Math.max(m, Math.abs(v));
                return m;
            }
            case QUANTILE:
            case ABS_QUANTILE: {
                float[] sorted = values.clone();
                if (type == Reducer.ABS_QUANTILE) {
                    for (int i = 0; i < sorted.length; i++) sorted[i] = Math.abs(sorted[i]);
                }
                Arrays.sort(sorted);
                double q = type == Reducer.ABS_QUANTILE || high ? 1 - end.outlierProb() : end.outlierProb();
                return quantile(sorted, q);
            }
            case MEAN: {
                double s = 0;
                for (float v : values) s += v;
                return (float) (s / values.length);
            }
            default:
                throw new IllegalStateException("reducer " + type);
        }
    }

    /** Linear interpolation between order statistics (numpy's default). */
    static float quantile(float[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        double fraction = position - below;
        return (float) (sorted[below] + (sorted[above] - sorted[below]) * fraction);
    }

    /** POT's saturation fix: 8-bit weights become 7-bit ([-63, 63] symmetric, [-64, 63] asymmetric). */
    static Quantizer saturationFix(Quantizer q) {
        return q.symmetric() ? q.withLevels(7, -63, 63) : q.withLevels(7, -64, 63);
    }
}
