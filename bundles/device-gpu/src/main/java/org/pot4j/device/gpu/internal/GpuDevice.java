package org.pot4j.device.gpu.internal;

import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.TargetDevice;
import org.pot4j.device.support.HardwareConfigParser;

/** Target device GPU: the hardware config in configs/hardware/gpu.json, evaluated on ONNX Runtime. */
@Component(service = TargetDevice.class, property = {TargetDevice.PROPERTY + "=GPU"})
public final class GpuDevice implements TargetDevice {
    static final String CONFIG = "/configs/hardware/gpu.json";

    private final HardwareConfig config = HardwareConfigParser.load(GpuDevice.class, CONFIG, Map.of());

    @Override
    public HardwareConfig hardwareConfig() {
        return config;
    }

    @Override
    public String backend() {
        return "onnxruntime";
    }
}
