package org.pot4j.device.any.internal;

import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.TargetDevice;
import org.pot4j.device.support.HardwareConfigParser;

/** Target device ANY: the hardware config in configs/hardware/any.json, evaluated on ONNX Runtime. */
@Component(service = TargetDevice.class, property = {TargetDevice.PROPERTY + "=ANY"})
public final class AnyDevice implements TargetDevice {
    static final String CONFIG = "/configs/hardware/any.json";

    private final HardwareConfig config = HardwareConfigParser.load(AnyDevice.class, CONFIG, Map.of());

    @Override
    public HardwareConfig hardwareConfig() {
        return config;
    }

    @Override
    public String backend() {
        return "onnxruntime";
    }
}
