package org.pot4j.api.device;

/**
 * One allowed way of quantizing a tensor on a device: bits, mode ("symmetric" / "asymmetric"),
 * granularity ("pertensor" / "perchannel"), and the grid when fixed (null: derived from bits).
 */
public record QuantizationSpace(int bits, String mode, String granularity, Long levelLow, Long levelHigh) {

    public boolean symmetric() {
        return "symmetric".equals(mode);
    }

    public boolean perChannel() {
        return "perchannel".equals(granularity);
    }
}
