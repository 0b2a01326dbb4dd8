package org.pot4j.api.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The quantization of a model, described and not yet applied: quantizer per quantization point,
 * nodes left in floating point with the reason, and groups of activation tensors that must share
 * one scale (Concat inputs, element-wise branches). The QDQ writer turns model + plan into ONNX.
 */
public final class QuantizationPlan {
    private final Map<QuantizationPoint, Quantizer> quantizers = new LinkedHashMap<>();
    private final Map<String, String> ignoredNodes = new LinkedHashMap<>();
    private final List<Set<String>> unifiedScaleGroups = new ArrayList<>();

    /** Mutable, ordered map of quantizers. */
    public Map<QuantizationPoint, Quantizer> quantizers() {
        return quantizers;
    }

    /** Mutable map: node name left unquantized, to why (e.g. "ignored_scope.scope", "reverted by AccuracyAware"). */
    public Map<String, String> ignoredNodes() {
        return ignoredNodes;
    }

    /** Mutable list of tensor-name groups whose activation quantizers must share one scale. */
    public List<Set<String>> unifiedScaleGroups() {
        return unifiedScaleGroups;
    }

    public Optional<Quantizer> quantizer(QuantizationPoint point) {
        return Optional.ofNullable(quantizers.get(point));
    }

    public List<QuantizationPoint> points(QuantizationPoint.Kind kind) {
        return quantizers.keySet().stream().filter(p -> p.kind() == kind).toList();
    }

    /** Points of one node, in input order. */
    public List<QuantizationPoint> pointsOf(String nodeName) {
        return quantizers.keySet().stream().filter(p -> p.nodeName().equals(nodeName))
                .sorted(java.util.Comparator.comparingInt(QuantizationPoint::inputIndex)).toList();
    }

    /** Node names that have at least one quantized input, in plan order. */
    public Set<String> quantizedNodes() {
        Set<String> names = new LinkedHashSet<>();
        quantizers.keySet().forEach(p -> names.add(p.nodeName()));
        return names;
    }

    /** Removes every quantizer of a node (it runs in floating point) and records why. */
    public void revert(String nodeName, String reason) {
        quantizers.keySet().removeIf(p -> p.nodeName().equals(nodeName));
        ignoredNodes.put(nodeName, reason);
    }

    public QuantizationPlan copy() {
        QuantizationPlan copy = new QuantizationPlan();
        copy.quantizers.putAll(quantizers);
        copy.ignoredNodes.putAll(ignoredNodes);
        unifiedScaleGroups.forEach(group -> copy.unifiedScaleGroups.add(new LinkedHashSet<>(group)));
        return copy;
    }
}
