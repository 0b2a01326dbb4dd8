package org.pot4j.algorithm.minmax.internal;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.Node;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;

/**
 * Tensors whose values 8 bits cannot represent: a power (x·x, Pow, Exp, and sums or filter banks of them, such as a
 * power spectrum from 0 to 1e11 before a Log) whose median falls below one quantization step of its calibrated range
 * [0, max]: more than half of its values would become 0 or 1.
 */
final class PowerRanges {
    /** Ops whose output is a power of their input: non-negative, with a range of many decades. */
    private static final Set<String> POWERS = Set.of("Pow", "Exp");
    /** Ops that keep a power a power (sums, filter banks, pooling, reshapes). */
    private static final Set<String> KEEPS_POWER = Set.of("Add", "Sum", "ReduceSum", "ReduceMean", "MatMul",
            "AveragePool", "Reshape", "Transpose", "Slice", "Squeeze", "Unsqueeze", "Flatten");
    private static final int MAX_DEPTH = 8;

    private PowerRanges() {
    }

    /** The median of a tensor (per sample, averaged). */
    static StatisticRequest medianRequest(String tensor) {
        return new StatisticRequest(tensor, Reducer.QUANTILE, Aggregator.MEAN, -1, 0.5, 0.0);
    }

    /** Whether a tensor is a power: a square, Pow or Exp, or a sum/filter of one (through its first input). */
    static boolean isPower(Graph graph, String tensor) {
        String current = tensor;
        for (int depth = 0; depth <= MAX_DEPTH; depth++) {
            Optional<Node> producer = graph.producer(current);
            if (producer.isEmpty()) {
                return false;
            }
            Node node = producer.get();
            if (node.opType().equals("Mul") && node.inputs().size() == 2 && node.input(0).equals(node.input(1))
                    || POWERS.contains(node.opType())) {
                return true;
            }
            if (!KEEPS_POWER.contains(node.opType()) || node.inputs().isEmpty()) {
                return false;
            }
            current = node.input(0);
        }
        return false;
    }

    /** Why 8 bits flatten {@code tensor} with calibrated {@code range} [low, high], or empty when they do not. */
    static Optional<String> flattened(String tensor, float[] range, Statistics statistics) {
        if (!statistics.contains(medianRequest(tensor))) {
            return Optional.empty();
        }
        float median = statistics.get(medianRequest(tensor))[0];
        float step = range[1] / 255f;
        if (range[0] < 0 || range[1] <= 0 || median >= step) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "range: input %s spans [0, %.4g] with median %.4g, below one"
                + " 8-bit step (%.4g): more than half of its values would quantize to 0 or 1; it stays float", tensor,
                range[1], median, step));
    }
}
