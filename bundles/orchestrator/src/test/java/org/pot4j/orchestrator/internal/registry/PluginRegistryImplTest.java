package org.pot4j.orchestrator.internal.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.device.HardwareConfig;
import org.pot4j.api.device.TargetDevice;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.registry.PluginInfo;
import org.pot4j.api.registry.PluginKind;
import org.pot4j.api.statistics.Statistics;

class PluginRegistryImplTest {

    /** Bundle id → origin, as the framework would answer. */
    private final PluginRegistryImpl registry = new PluginRegistryImpl(
            bundleId -> new PluginRegistryImpl.Origin("org.example.b" + bundleId, "1.2." + bundleId));

    private long nextServiceId = 100;

    private Map<String, Object> props(String nameProperty, Object name, long bundleId, Object... more) {
        Map<String, Object> properties = new HashMap<>();
        properties.put(nameProperty, name);
        properties.put("service.id", nextServiceId++);
        properties.put("service.bundleid", bundleId);
        for (int i = 0; i < more.length; i += 2) {
            properties.put((String) more[i], more[i + 1]);
        }
        return properties;
    }

    private static final class Algorithm implements QuantizationAlgorithm {
        @Override
        public List<ParameterDescriptor> parameters() {
            return List.of();
        }

        @Override
        public void apply(AlgorithmContext context, Statistics statistics) {
        }
    }

    private static final class Device implements TargetDevice {
        @Override
        public HardwareConfig hardwareConfig() {
            return null;
        }

        @Override
        public String backend() {
            return "onnxruntime";
        }
    }

    @Test
    void listsBoundPluginsWithTheirBundleAndVersionSortedByKindThenName() {
        registry.bindDevice(new Device(), props(TargetDevice.PROPERTY, "CPU", 7));
        registry.bindAlgorithm(new Algorithm(), props(QuantizationAlgorithm.PROPERTY, "MinMaxQuantization", 5));
        registry.bindAlgorithm(new Algorithm(), props(QuantizationAlgorithm.PROPERTY, "DefaultQuantization", 6));

        List<PluginInfo> plugins = registry.plugins();

        assertEquals(List.of(
                new PluginInfo("DefaultQuantization", PluginKind.ALGORITHM, "org.example.b6", "1.2.6", 6),
                new PluginInfo("MinMaxQuantization", PluginKind.ALGORITHM, "org.example.b5", "1.2.5", 5),
                new PluginInfo("CPU", PluginKind.DEVICE, "org.example.b7", "1.2.7", 7)), plugins);
        assertEquals(Set.of("DefaultQuantization", "MinMaxQuantization"), registry.names(PluginKind.ALGORITHM));
        assertTrue(registry.names(PluginKind.METRIC).isEmpty());
    }

    @Test
    void unbindRemovesExactlyThatService() {
        Algorithm first = new Algorithm();
        Algorithm second = new Algorithm();
        Map<String, Object> firstProps = props(QuantizationAlgorithm.PROPERTY, "SampleNoOp", 3);
        registry.bindAlgorithm(first, firstProps);
        registry.bindAlgorithm(second, props(QuantizationAlgorithm.PROPERTY, "Other", 4));
        assertSame(first, registry.algorithm("SampleNoOp").orElseThrow());

        registry.unbindAlgorithm(first, firstProps);

        assertTrue(registry.algorithm("SampleNoOp").isEmpty());
        assertSame(second, registry.algorithm("Other").orElseThrow());
        assertEquals(1, registry.plugins().size());
    }

    @Test
    void sameNameTwiceTheHigherRankingWinsAndTheOtherTakesOverWhenItGoes() {
        Algorithm low = new Algorithm();
        Algorithm high = new Algorithm();
        registry.bindAlgorithm(low, props(QuantizationAlgorithm.PROPERTY, "MinMaxQuantization", 3));
        Map<String, Object> highProps = props(QuantizationAlgorithm.PROPERTY, "MinMaxQuantization", 4,
                "service.ranking", 10);
        registry.bindAlgorithm(high, highProps);

        assertSame(high, registry.algorithm("MinMaxQuantization").orElseThrow());
        assertEquals(4, registry.info(PluginKind.ALGORITHM, "MinMaxQuantization").orElseThrow().bundleId());

        registry.unbindAlgorithm(high, highProps);
        assertSame(low, registry.algorithm("MinMaxQuantization").orElseThrow());
    }

    @Test
    void deviceAnswersToNameAndAliasesInAnyCase() {
        Device npu = new Device();
        registry.bindDevice(npu, props(TargetDevice.PROPERTY, "NPU", 9, TargetDevice.ALIASES, new String[] {"VPU", "MYRIAD"}));
        Device cpu = new Device();
        registry.bindDevice(cpu, props(TargetDevice.PROPERTY, "CPU", 8, TargetDevice.ALIASES, "ANY_CPU"));

        assertSame(npu, registry.device("npu").orElseThrow());
        assertSame(npu, registry.device("vpu").orElseThrow());
        assertSame(npu, registry.device("Myriad").orElseThrow());
        assertSame(cpu, registry.device("any_cpu").orElseThrow());
        assertEquals("NPU", registry.info(PluginKind.DEVICE, "vPu").orElseThrow().name());
        assertTrue(registry.device("GPU").isEmpty());
        assertTrue(registry.device(null).isEmpty());
    }

    @Test
    void otherLookupsAreCaseSensitiveAndKindSpecific() {
        registry.bindAlgorithm(new Algorithm(), props(QuantizationAlgorithm.PROPERTY, "MinMaxQuantization", 3));

        assertTrue(registry.algorithm("minmaxquantization").isEmpty());
        assertTrue(registry.metric("MinMaxQuantization").isEmpty());
        assertTrue(registry.info(PluginKind.LOADER, "MinMaxQuantization").isEmpty());
    }

    @Test
    void updatedPropertiesRenameThePlugin() {
        Algorithm algorithm = new Algorithm();
        Map<String, Object> properties = props(QuantizationAlgorithm.PROPERTY, "Before", 3);
        registry.bindAlgorithm(algorithm, properties);

        Map<String, Object> renamed = new HashMap<>(properties);
        renamed.put(QuantizationAlgorithm.PROPERTY, "After");
        registry.updatedAlgorithm(algorithm, renamed);

        assertFalse(registry.algorithm("Before").isPresent());
        assertSame(algorithm, registry.algorithm("After").orElseThrow());
        assertEquals(1, registry.plugins().size());
    }

    @Test
    void serviceWithoutNameIsIgnored() {
        Map<String, Object> properties = props(QuantizationAlgorithm.PROPERTY, " ", 3);
        registry.bindAlgorithm(new Algorithm(), properties);
        assertTrue(registry.plugins().isEmpty());
    }
}
