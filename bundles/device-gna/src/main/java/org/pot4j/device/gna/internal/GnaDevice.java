package org.pot4j.device.gna.internal;

import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.TargetDevice;
import org.pot4j.device.support.HardwareConfigParser;

/** Target device GNA: the hardware config in configs/hardware/gna.json, evaluated on ONNX Runtime. */
@Component(service = TargetDevice.class, property = {TargetDevice.PROPERTY + "=GNA"})
public final class GnaDevice implements TargetDevice {
    static final String CONFIG = "/configs/hardware/gna.json";

    private final HardwareConfig config = HardwareConfigParser.load(GnaDevice.class, CONFIG, Map.of());

    @Override
    public HardwareConfig hardwareConfig() {
        return config;
    }

    @Override
    public String backend() {
        return "onnxruntime";
    }
}
