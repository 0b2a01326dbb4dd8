package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.orchestrator.internal.JobServiceImpl;
import org.pot4j.orchestrator.internal.registry.PluginRegistryImpl;

/**
 * How many requests a server takes from Kafka at once: by default as many as the job service runs at the same
 * time (a larger number would count queued jobs as running and hold their partitions), unless configured.
 */
class WorkersTest {

    private static JobServiceImpl jobService(int workers) {
        return new JobServiceImpl(new PluginRegistryImpl(id -> new PluginRegistryImpl.Origin("test", "0")),
                new JobServiceImpl.Config() {
                    @Override public int workers() { return workers; }
                    @Override public int batch_size() { return 8; }
                    @Override public int inference_threads() { return 1; }
                    @Override public String statistics_cache_directory() { return ""; }
                    @Override public int statistics_cache_max_mb() { return 0; }
                    @Override public Class<? extends Annotation> annotationType() { return JobServiceImpl.Config.class; }
                }, (Path) null);  // no statistics cache
    }

    private static KafkaRequestServer server(Map<String, Object> configuration, JobServiceImpl jobs) {
        // no bootstrap servers: the server does not connect, which is all this needs
        KafkaSettings settings = KafkaSettings.resolve(configuration, key -> null);
        KafkaRequestServer server = new KafkaRequestServer(settings, jobs, null, System.err, Path.of("."));
        assertFalse(server.enabled());
        return server;
    }

    @Test
    void byDefaultTheJobServiceConcurrency() {
        assertEquals(0, KafkaSettings.resolve(Map.of(), key -> null).workers(), "the default: unset");
        assertEquals(3, server(Map.of(), jobService(3)).workers());
        assertEquals(1, server(Map.of(), jobService(1)).workers());
    }

    @Test
    void aConfiguredNumberWins() {
        assertEquals(2, server(Map.of("workers", 2), jobService(3)).workers());
    }
}
