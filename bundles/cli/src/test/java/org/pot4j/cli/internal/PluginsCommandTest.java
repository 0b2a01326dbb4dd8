package org.pot4j.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.data.DataLoader;
import org.pot4j.api.device.TargetDevice;
import org.pot4j.api.metric.Metric;
import org.pot4j.api.registry.PluginInfo;
import org.pot4j.api.registry.PluginKind;
import org.pot4j.api.registry.PluginRegistry;

class PluginsCommandTest {

    /** A registry with a fixed listing: the command only reads plugins(). */
    private record FixedRegistry(List<PluginInfo> plugins) implements PluginRegistry {
        @Override
        public Set<String> names(PluginKind kind) {
            return Set.of();
        }

        @Override
        public Optional<PluginInfo> info(PluginKind kind, String name) {
            return Optional.empty();
        }

        @Override
        public Optional<QuantizationAlgorithm> algorithm(String name) {
            return Optional.empty();
        }

        @Override
        public Optional<Metric> metric(String name) {
            return Optional.empty();
        }

        @Override
        public Optional<DataLoader> loader(String name) {
            return Optional.empty();
        }

        @Override
        public Optional<TargetDevice> device(String name) {
            return Optional.empty();
        }

        @Override
        public Optional<InferenceBackend> backend(String name) {
            return Optional.empty();
        }

        @Override
        public Optional<org.pot4j.api.optimizer.Optimizer> optimizer(String name) {
            return Optional.empty();
        }
    }

    private static final List<PluginInfo> PLUGINS = List.of(
            new PluginInfo("MinMaxQuantization", PluginKind.ALGORITHM, "org.pot4j.algorithm.minmax", "0.1.0.SNAPSHOT", 21),
            new PluginInfo("CPU", PluginKind.DEVICE, "org.pot4j.device.cpu", "0.1.0.SNAPSHOT", 17));

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    private int run(List<PluginInfo> plugins, String... args) throws Exception {
        return new PluginsCommand(new FixedRegistry(plugins)).execute(List.of(args), out, err);
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void tablePrintsHeaderAndOneAlignedRowPerPlugin() throws Exception {
        assertEquals(0, run(PLUGINS));

        List<String> lines = out().lines().toList();
        assertEquals(3, lines.size(), out());
        assertTrue(lines.get(0).matches("KIND\\s+NAME\\s+BUNDLE\\s+VERSION"), lines.get(0));
        assertTrue(lines.get(1).matches("algorithm\\s+MinMaxQuantization\\s+org.pot4j.algorithm.minmax\\s+0.1.0.SNAPSHOT"));
        assertEquals(lines.get(0).indexOf("BUNDLE"), lines.get(2).indexOf("org.pot4j.device.cpu"), "columns align");
    }

    @Test
    void jsonListsKindNameBundleVersion() throws Exception {
        assertEquals(0, run(PLUGINS, "--json"));

        JsonNode json = new ObjectMapper().readTree(out());
        assertEquals(2, json.size());
        assertEquals("algorithm", json.get(0).get("kind").asText());
        assertEquals("MinMaxQuantization", json.get(0).get("name").asText());
        assertEquals("org.pot4j.algorithm.minmax", json.get(0).get("bundle").asText());
        assertEquals("0.1.0.SNAPSHOT", json.get(0).get("version").asText());
        assertEquals("device", json.get(1).get("kind").asText());
        assertEquals(17, json.get(1).get("bundleId").asLong());
    }

    @Test
    void emptyRegistryGivesEmptyJsonArrayAndAHintInTheTable() throws Exception {
        assertEquals(0, run(List.of(), "--json"));
        assertEquals("[ ]", out().trim());
        outBytes.reset();
        assertEquals(0, run(List.of()));
        assertTrue(out().contains("no plugins"), out());
    }

    @Test
    void unknownOptionNamesItAndExitsWithTwo() throws Exception {
        assertEquals(2, run(PLUGINS, "--yaml"));

        String message = errBytes.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("'--yaml'") && message.contains("--json"), message);
        assertEquals("", out());
    }
}
