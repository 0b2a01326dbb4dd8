package org.pot4j.api.device;

import org.osgi.annotation.versioning.ConsumerType;

/** A target device. Registered with {@value #PROPERTY} = its upper-case name ("CPU", "GNA", ...). */
@ConsumerType
public interface TargetDevice {
    String PROPERTY = "pot4j.device";
    /** Optional service property: other names the device answers to (e.g. "VPU" for NPU). */
    String ALIASES = "pot4j.device.aliases";

    HardwareConfig hardwareConfig();

    /** The name of the backend that evaluates models for this device. */
    String backend();
}
