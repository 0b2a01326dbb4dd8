package org.pot4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's "## Server" script, run as is by bash in a fresh folder laid out like the repository after the build
 * (runtime/target/pot4j a copy of the distribution): `serve &` followed at once by `submit --follow`, `jobs` and the
 * server's stop, with no sleep. It ends with the model downloaded and its sha256 verified, and the server's exit 0.
 * The embedded broker gets a free port (-Dpot4j.kafka.embedded.port in POT4J_JAVA_OPTS, which the client commands
 * read too), never 9092.
 */
class ServerReadmeIT {

    private static final Path DIST = Path.of(System.getProperty("pot4j.dist", "target/pot4j")).toAbsolutePath();
    private static final Path README = Path.of(System.getProperty("pot4j.readme", "../README.md")).toAbsolutePath();
    private static final Pattern VERIFIED = Pattern.compile("model: +(\\S+) \\((\\d+) bytes, sha256 ([0-9a-f]{64}) verified\\)");

    @Test
    void theReadmesServerScriptRunsAsPastedRightAfterTheBuild() throws Exception {
        String script = serverScript(Files.readString(README));
        assertFalse(script.contains("sleep"), "the script waits for nothing by itself:\n" + script);
        Path work = Files.createTempDirectory(DIST.getParent(), "server-readme-it-");
        Path home = ServeIT.distributionCopy(work.resolve("runtime/target/pot4j"));
        ServeIT.copyTree(DIST.resolve("examples"), home.resolve("examples"));
        Path output = work.resolve("script.out");

        ProcessBuilder builder = new ProcessBuilder("bash", "-c", script).directory(work.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().remove(Server.BOOTSTRAP_ENV);
        builder.environment().put("POT4J_JAVA_OPTS", "-D" + Server.EMBEDDED_PORT_PROPERTY + "=" + ServeIT.freePort());
        Process process = builder.start();
        process.getOutputStream().close();
        try {
            assertTrue(process.waitFor(10, TimeUnit.MINUTES), "the script did not end in 10 min:\n" + read(output));
        } finally {
            // whatever the script left running (a server whose stop failed) ends with the test
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        String text = read(output);
        System.out.println("README server script:\n" + text);
        assertEquals(0, process.exitValue(), "the script's exit (the server's, after its stop):\n" + text);
        assertFalse(text.contains("error"), text);
        assertTrue(text.contains("pot4j serving:"), text);
        Matcher verified = VERIFIED.matcher(text);
        assertTrue(verified.find(), "the model downloaded and verified:\n" + text);
        Path model = Path.of(verified.group(1));
        assertEquals(work.resolve("results/cnn_relu.onnx").toRealPath(), model.toRealPath());
        byte[] bytes = Files.readAllBytes(model);
        assertEquals(Long.parseLong(verified.group(2)), bytes.length);
        assertEquals(verified.group(3), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
        assertTrue(text.lines().anyMatch(line -> line.matches("job-\\S+ +COMPLETED .*")), "jobs lists it:\n" + text);
    }

    /** The first bash block after the README's "## Server" heading. */
    static String serverScript(String readme) {
        int section = readme.indexOf("\n## Server\n");
        assertTrue(section >= 0, "the README has a ## Server section");
        int start = readme.indexOf("```bash\n", section);
        int end = readme.indexOf("\n```", start + 1);
        assertTrue(start >= 0 && end > start && readme.indexOf("\n## ", section + 1) > end,
                "the ## Server section has a bash block");
        return readme.substring(start + "```bash\n".length(), end + 1);
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file);
    }
}
