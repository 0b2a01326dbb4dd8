package org.pot4j.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/pot as a user runs it: a bundle waiting in the deploy directory is live for the command. */
class CommandLineDeployIT {

    @Test
    void pluginsListsABundleFromTheDeployDirectory(@TempDir Path temp) throws Exception {
        Path dist = RuntimeOptions.distribution();
        Path deploy = Files.createDirectories(temp.resolve("deploy"));
        Files.copy(Path.of(System.getProperty(RuntimeOptions.SAMPLE_JAR)), deploy.resolve("sample-algorithm.jar"));

        ProcessBuilder builder = new ProcessBuilder(dist.resolve("bin/pot").toString(), "plugins", "--json")
                .redirectError(temp.resolve("stderr.txt").toFile());
        // the distribution's own deploy/ stays untouched: point the watcher at ours
        builder.environment().put("POT4J_JAVA_OPTS",
                "-Dfelix.fileinstall.dir=" + deploy + "," + dist.resolve("conf"));
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(2, TimeUnit.MINUTES));

        String err = Files.readString(temp.resolve("stderr.txt"));
        assertEquals(0, process.exitValue(), err);
        assertTrue(out.contains("\"name\" : \"SampleNoOp\""), out);
        assertTrue(out.contains("\"bundle\" : \"org.pot4j.itests.sample\""), out);
        assertEquals("", err);
    }
}
