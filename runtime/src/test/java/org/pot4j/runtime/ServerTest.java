package org.pot4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where serve takes the bootstrap servers from; null means: start the embedded broker. */
class ServerTest {

    @TempDir
    Path home;

    @Test
    void nothingConfiguredMeansEmbedded() throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/org.pot4j.kafka.cfg"), "bootstrap_servers = \ngroup_id=pot4j\n");

        assertNull(Server.configuredBootstrap(home, Map.of()));
        assertNull(Server.configuredBootstrap(home, Map.of(Server.BOOTSTRAP_ENV, "  ")));
    }

    @Test
    void configurationFileWinsAndIsLeftToTheBundle() throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/org.pot4j.kafka.cfg"), "bootstrap_servers=kafka-1:9092,kafka-2:9092\n");

        Server.Bootstrap bootstrap = Server.configuredBootstrap(home, Map.of(Server.BOOTSTRAP_ENV, "other:9092"));

        assertEquals(new Server.Bootstrap("kafka-1:9092,kafka-2:9092", "conf/org.pot4j.kafka.cfg", false), bootstrap);
    }

    @Test
    void environmentVariableIsPassedOnAsAFrameworkProperty() throws Exception {
        Server.Bootstrap bootstrap = Server.configuredBootstrap(home, Map.of(Server.BOOTSTRAP_ENV, " broker:9092 "));

        assertEquals(new Server.Bootstrap("broker:9092", Server.BOOTSTRAP_ENV, true), bootstrap);
    }
}
