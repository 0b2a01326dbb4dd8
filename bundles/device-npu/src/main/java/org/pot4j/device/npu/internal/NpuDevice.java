package org.pot4j.device.npu.internal;

import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.TargetDevice;
import org.pot4j.device.support.HardwareConfigParser;

/** Target device NPU: the hardware config in configs/hardware/npu.json, evaluated on ONNX Runtime. */
@Component(service = TargetDevice.class, property = {TargetDevice.PROPERTY + "=NPU", TargetDevice.ALIASES + "=VPU"})
public final class NpuDevice implements TargetDevice {
    static final String CONFIG = "/configs/hardware/npu.json";

    private final HardwareConfig config = HardwareConfigParser.load(NpuDevice.class, CONFIG, Map.of());

    @Override
    public HardwareConfig hardwareConfig() {
        return config;
    }

    @Override
    public String backend() {
        return "onnxruntime";
    }
}
