package org.pot4j.kafka.internal;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The effective settings: a ConfigAdmin value when the configuration has it, else the framework
 * property {@code pot4j.kafka.<name with dots>}, else the default.
 */
public record KafkaSettings(String bootstrapServers, boolean enabled, String requestsTopic, String eventsTopic,
                            String snapshotsTopic, String controlTopic, String jobsTopic, String dlqTopic,
                            String groupId, int workers, int maxRequestBytes, int snapshotChunkBytes,
                            List<Path> allowedRoots, Path outputDirectory, int partitions, int sessionTimeoutMs,
                            Map<String, Object> clientProperties) {

    public static final String FRAMEWORK_PREFIX = "pot4j.kafka.";
    public static final String CLIENT_PREFIX = "client.";

    public static KafkaSettings resolve(KafkaConfig config, Map<String, ?> configured,
                                        Function<String, String> frameworkProperty) {
        Map<String, ?> props = configured == null ? Map.of() : configured;
        Resolver r = new Resolver(props, frameworkProperty);
        Path home = Path.of(frameworkProperty.apply("pot4j.home") == null ? "." : frameworkProperty.apply("pot4j.home"))
                .toAbsolutePath().normalize();
        List<Path> roots = Arrays.stream(r.list("allowed_roots", config.allowed_roots()))
                .map(String::trim).filter(s -> !s.isEmpty())
                .map(root -> home.resolve(root).toAbsolutePath().normalize()).toList();
        Map<String, Object> client = new LinkedHashMap<>();
        props.forEach((key, value) -> {
            if (key.startsWith(CLIENT_PREFIX) && value != null) {
                client.put(key.substring(CLIENT_PREFIX.length()), String.valueOf(value));
            }
        });
        return new KafkaSettings(
                r.string("bootstrap_servers", config.bootstrap_servers()),
                r.bool("enabled", config.enabled()),
                r.string("requests_topic", config.requests_topic()),
                r.string("events_topic", config.events_topic()),
                r.string("snapshots_topic", config.snapshots_topic()),
                r.string("control_topic", config.control_topic()),
                r.string("jobs_topic", config.jobs_topic()),
                r.string("dlq_topic", config.dlq_topic()),
                r.string("group_id", config.group_id()),
                Math.max(1, r.integer("workers", config.workers())),
                Math.max(1024, r.integer("max_request_bytes", config.max_request_bytes())),
                Math.max(1024, r.integer("snapshot_chunk_bytes", config.snapshot_chunk_bytes())),
                roots,
                home.resolve(r.string("output_directory", config.output_directory())).toAbsolutePath().normalize(),
                Math.max(1, r.integer("partitions", config.partitions())),
                Math.max(6000, r.integer("session_timeout_ms", config.session_timeout_ms())),
                Map.copyOf(client));
    }

    /** Looks a setting up in the configuration, then in the framework properties. */
    private record Resolver(Map<String, ?> props, Function<String, String> framework) {
        private String raw(String name) {
            String value = framework.apply(FRAMEWORK_PREFIX + name.replace('_', '.'));
            return value == null || value.isBlank() ? null : value.trim();
        }

        // a configured empty string means "not set" (bootstrap_servers falls back to the framework property)
        private boolean configured(String name) {
            Object value = props.get(name);
            return value != null && !(value instanceof String s && s.isBlank());
        }

        String string(String name, String typed) {
            return configured(name) ? typed : raw(name) != null ? raw(name) : typed;
        }

        boolean bool(String name, boolean typed) {
            return configured(name) ? typed : raw(name) != null ? Boolean.parseBoolean(raw(name)) : typed;
        }

        int integer(String name, int typed) {
            if (configured(name) || raw(name) == null) {
                return typed;
            }
            try {
                return Integer.parseInt(raw(name));
            } catch (NumberFormatException e) {
                return typed;
            }
        }

        String[] list(String name, String[] typed) {
            return configured(name) || raw(name) == null ? typed : raw(name).split(",");
        }
    }
}
