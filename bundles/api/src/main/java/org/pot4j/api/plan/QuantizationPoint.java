package org.pot4j.api.plan;

/**
 * One op input that may be quantized: the {@code inputIndex}-th input of node {@code nodeName},
 * which reads value {@code tensor}. Weights are initializers, activations are computed values.
 */
public record QuantizationPoint(String nodeName, int inputIndex, String tensor, Kind kind) {

    public enum Kind { ACTIVATION, WEIGHT }

    public boolean isWeight() {
        return kind == Kind.WEIGHT;
    }

    @Override
    public String toString() {
        return nodeName + "#" + inputIndex + "(" + tensor + ", " + kind.name().toLowerCase() + ")";
    }
}
