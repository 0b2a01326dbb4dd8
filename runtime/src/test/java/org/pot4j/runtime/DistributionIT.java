package org.pot4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Runs the built distribution's bin/pot as a user would. */
class DistributionIT {

    /** Plugin kind label → its service property, as in org.pot4j.api.registry.PluginKind. */
    private static final Map<String, String> KINDS = Map.of(
            "algorithm", "pot4j.algorithm", "metric", "pot4j.metric", "loader", "pot4j.loader",
            "device", "pot4j.device", "backend", "pot4j.backend", "optimizer", "pot4j.optimizer");

    private static final Path DIST = Path.of(System.getProperty("pot4j.dist", "target/pot4j"));

    private record Result(int code, String out, String err) {
    }

    private static Result pot(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(DIST.resolve("bin/pot").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        process.getOutputStream().close();
        // read both streams fully before waiting, so neither pipe can fill up and block the child
        var err = process.getErrorStream();
        byte[][] errBytes = new byte[1][];
        Thread errReader = new Thread(() -> {
            try {
                errBytes[0] = err.readAllBytes();
            } catch (IOException e) {
                errBytes[0] = e.toString().getBytes(StandardCharsets.UTF_8);
            }
        });
        errReader.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        errReader.join();
        assertTrue(process.waitFor(2, TimeUnit.MINUTES), "bin/pot did not exit");
        return new Result(process.exitValue(), out, new String(errBytes[0], StandardCharsets.UTF_8));
    }

    /** "kind/name@bundle" for every plugin component the shipped bundles declare. */
    private static Set<String> declaredPlugins() throws Exception {
        Set<String> plugins = new TreeSet<>();
        try (Stream<Path> jars = Files.list(DIST.resolve("bundle"))) {
            for (Path jar : jars.filter(path -> path.toString().endsWith(".jar")).toList()) {
                try (JarFile file = new JarFile(jar.toFile())) {
                    var attributes = file.getManifest().getMainAttributes();
                    String header = attributes.getValue("Service-Component");
                    String bundle = attributes.getValue("Bundle-SymbolicName").split(";")[0].trim();
                    if (header == null) {
                        continue;
                    }
                    for (String path : header.split(",")) {
                        ZipEntry entry = file.getEntry(path.trim());
                        if (entry == null) {
                            continue; // a wildcard header: bnd writes plain paths, so none here
                        }
                        try (InputStream in = file.getInputStream(entry)) {
                            plugins.addAll(pluginsOf(in, bundle));
                        }
                    }
                }
            }
        }
        return plugins;
    }

    private static Set<String> pluginsOf(InputStream descriptor, String bundle) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        NodeList components = factory.newDocumentBuilder().parse(descriptor).getElementsByTagNameNS("*", "component");
        Set<String> plugins = new TreeSet<>();
        for (int i = 0; i < components.getLength(); i++) {
            Element component = (Element) components.item(i);
            // components that wait for configuration or start disabled are not expected to be live
            if ("require".equals(component.getAttribute("configuration-policy"))
                    || "false".equals(component.getAttribute("enabled"))) {
                continue;
            }
            NodeList properties = component.getElementsByTagName("property");
            for (int p = 0; p < properties.getLength(); p++) {
                Element property = (Element) properties.item(p);
                for (var kind : KINDS.entrySet()) {
                    if (kind.getValue().equals(property.getAttribute("name"))) {
                        plugins.add(kind.getKey() + "/" + property.getAttribute("value") + "@" + bundle);
                    }
                }
            }
        }
        return plugins;
    }

    @Test
    void pluginsJsonListsEveryPluginTheShippedBundlesDeclare() throws Exception {
        Set<String> expected = declaredPlugins();

        Result result = pot("plugins", "--json");

        assertEquals(0, result.code(), result.err());
        Set<String> listed = new TreeSet<>();
        for (JsonNode plugin : new ObjectMapper().readTree(result.out())) {
            listed.add(plugin.get("kind").asText() + "/" + plugin.get("name").asText() + "@"
                    + plugin.get("bundle").asText());
            assertFalse(plugin.get("version").asText().isEmpty());
        }
        assertEquals(expected, listed);
        System.out.println("bin/pot plugins --json listed " + listed.size() + " plugins: " + listed);
    }

    @Test
    void pluginsTableHasAHeaderAndOneLinePerPlugin() throws Exception {
        Result result = pot("plugins");

        assertEquals(0, result.code(), result.err());
        List<String> lines = result.out().lines().toList();
        assertTrue(lines.get(0).matches("KIND\\s+NAME\\s+BUNDLE\\s+VERSION"), result.out());
        int plugins = declaredPlugins().size();
        assertEquals(plugins == 0 ? 2 : plugins + 1, lines.size(), result.out());
    }

    @Test
    void noSubCommandListsTheCommandsAndExitsWithTwo() throws Exception {
        Result result = pot();

        assertEquals(2, result.code());
        assertTrue(result.err().contains("usage: pot <sub-command>"), result.err());
        assertTrue(result.err().lines().anyMatch(line -> line.matches("\\s+plugins\\s+\\S.*")), result.err());
    }

    @Test
    void unknownSubCommandIsNamedAndExitsWithTwo() throws Exception {
        Result result = pot("frobnicate");

        assertEquals(2, result.code());
        assertTrue(result.err().contains("unknown sub-command 'frobnicate'"), result.err());
        assertTrue(result.err().contains("plugins"), result.err());
    }

    @Test
    void unknownOptionOfPluginsExitsWithTwo() throws Exception {
        Result result = pot("plugins", "--yaml");

        assertEquals(2, result.code());
        assertTrue(result.err().contains("'--yaml'"), result.err());
    }

    /** The README's server example submits the shipped example job, which the server's default roots allow. */
    @Test
    void theExampleJobShipsWithTheDistribution() throws Exception {
        Path job = DIST.resolve("examples/fashion-mnist/quantize.json");
        assertTrue(Files.isRegularFile(job), job.toString());
        assertTrue(Files.isRegularFile(DIST.resolve("examples/fashion-mnist/models/cnn_relu.onnx")));
        assertTrue(Files.isRegularFile(DIST.resolve("examples/fashion-mnist/data/LICENSE-fashion-mnist.txt")));
    }

    /** Every sub-command answers --help with its usage, serve too (it used to start a broker and a server). */
    @Test
    void everySubCommandAnswersHelpWithItsUsageAndDoesNothingElse() throws Exception {
        for (String command : List.of("serve", "quantize", "evaluate", "benchmark", "plugins", "submit", "jobs", "cancel",
                "shell")) {
            Result result = pot(command, "--help");
            assertEquals(0, result.code(), command + ": " + result.err());
            assertTrue(result.out().toLowerCase().contains(command), command + ": " + result.out());
            assertFalse(result.out().contains("Kafka at") || result.err().contains("Kafka at"), command + ": " + result.out());
        }
    }

    /** bin/pot shell: Gogo's lb and the pot: commands on lines from standard input, an error for an unknown one. */
    @Test
    void theShellRunsFelixAndPotCommandsFromItsInput() throws Exception {
        Process process = new ProcessBuilder(DIST.resolve("bin/pot").toString(), "shell").redirectErrorStream(true)
                .start();
        try (var in = process.getOutputStream()) {
            in.write("lb\npot:plugins\npot:jobs\nnot:acommand\nexit\n".getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(2, TimeUnit.MINUTES), "bin/pot shell did not exit");
        assertEquals(0, process.exitValue(), out);
        assertTrue(out.contains("|Active     |") && out.contains("|pot4j console ("), "lb lists the bundles: " + out);
        assertTrue(out.matches("(?s).*algorithm\\s+AccuracyAwareQuantization\\s+org\\.pot4j\\.algorithm\\.accuracyaware.*"),
                "pot:plugins: " + out);
        assertTrue(out.contains("JOB ") && out.contains("STATE"), "pot:jobs: " + out);
        assertTrue(out.contains("error: Command not found: not:acommand"), out);
    }

    @Test
    void bootsWithoutErrorsOrWarnings() throws Exception {
        Result result = pot("plugins");

        assertEquals("", result.err(), "a clean start prints nothing on stderr");
    }
}
