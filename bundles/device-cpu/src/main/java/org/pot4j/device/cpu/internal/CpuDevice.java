package org.pot4j.device.cpu.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.TargetDevice;
import org.pot4j.device.support.HardwareConfigParser;

/**
 * Target device CPU: configs/hardware/cpu.json plus what this machine says about VNNI. Its
 * properties carry {@code vnni} ("true"/"false"), {@code vnni_source} and the
 * {@code saturation_fix} advice ("no" with VNNI, else "signed_inputs": ONNX Runtime's VNNI-less kernels can saturate in
 * any layer reading a signed activation), and {@code float_stem}
 * "true": ONNX Runtime's CPU int8 kernels run the narrow leading Convs of a model (org.pot4j.model.FloatStem: no
 * MLAS symmetric kernel for them) slower than float, so a planner for this device may leave them in float; and
 * {@code latency_check} ("true" from the framework's configuration by default): a planner may benchmark FP32 against
 * INT8 and keep slow regions float. A device built directly ({@link #CpuDevice(String)}: tests, tools) says "false", so
 * that plans do not depend on timings there.
 */
@Component(service = TargetDevice.class, property = TargetDevice.PROPERTY + "=CPU",
        configurationPid = "org.pot4j.device.cpu")
@Designate(ocd = CpuDevice.Config.class)
public final class CpuDevice implements TargetDevice {
    static final String CONFIG = "/configs/hardware/cpu.json";

    @ObjectClassDefinition(name = "pot4j CPU device", description = "VNNI detection override, latency check")
    public @interface Config {
        @AttributeDefinition(description = "auto: read the CPU flags; true/false: force", options = {
                @Option(value = "auto"), @Option(value = "true"), @Option(value = "false")})
        String vnni() default "auto";

        /** Key {@code latency.check} (DS maps the underscore to a dot). */
        @AttributeDefinition(description = "benchmark FP32 against INT8 after planning and keep slow int8 regions"
                + " float (a job's latency_check: false turns it off for that job)")
        boolean latency_check() default true;
    }

    private final HardwareConfig config;

    @Activate
    public CpuDevice(Config config, java.util.Map<String, Object> properties) {
        this(config.vnni(), config.latency_check());
        // a key this device does not read is said, not ignored
        org.pot4j.config.support.ConfigKeys.report("org.pot4j.device.cpu", Config.class, properties,
                TargetDevice.PROPERTY).forEach(System.err::println);
    }

    /**
     * {@code vnni}: "auto" detects, "true"/"false" force (tests, or a build machine unlike the target); no latency
     * check.
     */
    public CpuDevice(String vnni) {
        this(vnni, false);
    }

    public CpuDevice(String vnni, boolean latencyCheck) {
        CpuFeatures features = switch (vnni) {
            case "true" -> new CpuFeatures(true, "configured");
            case "false" -> new CpuFeatures(false, "configured");
            default -> CpuFeatures.detect();
        };
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("vnni", String.valueOf(features.vnni()));
        properties.put("vnni_source", features.source());
        // without VNNI ONNX Runtime's u8 x s8 kernels (vpmaddubsw) add products pairwise in int16 in every layer, not
        // only the first as in OpenVINO (POT's first_layer): a signed activation becomes u8 around 128 and the sums
        // saturate. 7-bit weights where the input can be negative (ORT's reduce_range, for those layers): bert_tiny
        // cosine 0.950 -> 0.999, efficientnet_b0 0.781 -> 0.87, mobilenet_v2_tiny 10k drop 0.15 -> -0.06 points
        // (benchmarks/zoo/README.md); the kernels, and so the latency, are the same
        properties.put("saturation_fix", features.vnni() ? "no" : "signed_inputs");
        // measured with VNNI (mobilenet_v2_tiny INT8/FP32 0.59 -> 0.44); the kernel conditions are the same without it
        properties.put("float_stem", "true");
        properties.put("latency_check", String.valueOf(latencyCheck));
        this.config = HardwareConfigParser.load(CpuDevice.class, CONFIG, properties);
    }

    @Override
    public HardwareConfig hardwareConfig() {
        return config;
    }

    @Override
    public String backend() {
        return "onnxruntime";
    }
}
