package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;

class KafkaSettingsTest {

    @Test
    void defaultsComeFromTheConfigInterface() {
        KafkaSettings settings = KafkaSettings.resolve(Map.of(), key -> key.equals("pot4j.home") ? "/opt/pot4j" : null);
        assertEquals("", settings.bootstrapServers());
        assertFalse(settings.enabled());
        assertEquals("pot4j.requests", settings.requestsTopic());
        assertEquals("pot4j.requests.dlq", settings.dlqTopic());
        assertEquals("pot4j", settings.groupId());
        assertEquals(1_048_576, settings.maxRequestBytes());
        assertEquals(524_288, settings.snapshotChunkBytes());
        assertEquals(List.of(Path.of("/opt/pot4j/models"), Path.of("/opt/pot4j/data"), Path.of("/opt/pot4j/outputs"),
                Path.of("/opt/pot4j/examples")), settings.allowedRoots());
        assertEquals(Path.of("/opt/pot4j/outputs"), settings.outputDirectory());
    }

    @Test
    void frameworkPropertiesFillWhatTheConfigurationLeavesOpenAndTheConfigurationWins() {
        Map<String, String> framework = Map.of(
                "pot4j.home", "/opt/pot4j",
                "pot4j.kafka.bootstrap.servers", "127.0.0.1:19092",
                "pot4j.kafka.enabled", "true",
                "pot4j.kafka.group.id", "from-framework",
                "pot4j.kafka.allowed.roots", "/srv/a, /srv/b");
        Map<String, Object> configured = Map.of(
                "bootstrap_servers", "",  // empty: falls back to the framework property
                "group_id", "from-config",
                "workers", 3,
                "client.security.protocol", "SASL_SSL",
                "client.sasl.mechanism", "PLAIN");
        KafkaSettings settings = KafkaSettings.resolve(configured, framework::get);
        assertEquals("127.0.0.1:19092", settings.bootstrapServers());
        assertTrue(settings.enabled());
        assertEquals("from-config", settings.groupId());
        assertEquals(3, settings.workers());
        assertEquals(List.of(Path.of("/srv/a"), Path.of("/srv/b")), settings.allowedRoots());
        assertEquals(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN"), settings.clientProperties());
    }

    @Test
    void aBadNumberNamesTheSetting() {
        InvalidInputException error = assertThrows(InvalidInputException.class,
                () -> KafkaSettings.resolve(Map.of("workers", "many"), key -> null));
        assertTrue(error.getMessage().contains("workers"), error.getMessage());
    }

    /** Roots and the output directory never overlap the server's state folder, whatever the configuration says. */
    @Test
    void rootsOrAnOutputDirectoryOverlappingTheStateFolderAreRefusedNamingKeyRootAndState() {
        Map<String, String> framework = new java.util.HashMap<>(Map.of("pot4j.home", "/opt/pot4j",
                KafkaSettings.STATE_PROPERTY, "/opt/pot4j/state",
                "org.osgi.framework.storage", "/opt/pot4j/state/felix-cache"));
        KafkaSettings defaults = KafkaSettings.resolve(Map.of(), framework::get);
        assertEquals(null, defaults.stateRefusal());
        assertEquals(List.of(Path.of("/opt/pot4j/state")), defaults.stateFolders());

        for (String roots : List.of(".", "models,/opt", "state", "state/kafka")) {
            String refusal = KafkaSettings.resolve(Map.of("allowed_roots", roots), framework::get).stateRefusal();
            assertTrue(refusal != null && refusal.startsWith("allowed_roots") && refusal.contains("/opt/pot4j/state ")
                    && (refusal.contains("root /opt ") || refusal.contains("root /opt/pot4j")), roots + ": " + refusal);
        }
        String output = KafkaSettings.resolve(Map.of("output_directory", "state/out"), framework::get).stateRefusal();
        assertTrue(output != null && output.startsWith("output_directory") && output.contains("/opt/pot4j/state/out")
                && output.contains("lies in the server's state folder /opt/pot4j/state"), output);

        // a framework storage elsewhere (-Dorg.osgi.framework.storage) is guarded as well
        framework.put("org.osgi.framework.storage", "/var/cache/pot4j");
        String storage = KafkaSettings.resolve(Map.of("allowed_roots", "/var/cache"), framework::get).stateRefusal();
        assertTrue(storage != null && storage.contains("contains the server's state folder /var/cache/pot4j"), storage);
    }
}
