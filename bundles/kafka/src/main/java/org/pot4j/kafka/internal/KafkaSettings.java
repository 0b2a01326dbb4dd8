package org.pot4j.kafka.internal;

import org.pot4j.config.support.ConfigPaths;
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
                            int leaseMs, Map<String, Object> clientProperties, List<Path> stateFolders) {

    public static final String FRAMEWORK_PREFIX = "pot4j.kafka.";
    public static final String CLIENT_PREFIX = "client.";
    /** Framework property (set by the launcher): the server's state folder, which no request may touch. */
    public static final String STATE_PROPERTY = "pot4j.state.dir";

    /**
     * @param configured the component's properties: ConfigAdmin values where a configuration sets them
     *                   (the component takes no annotation-typed parameter, so no defaults are mixed in)
     */
    public static KafkaSettings resolve(Map<String, ?> configured, Function<String, String> frameworkProperty) {
        Map<String, ?> props = configured == null ? Map.of() : configured;
        Resolver r = new Resolver(props, frameworkProperty);
        Path home = Path.of(frameworkProperty.apply("pot4j.home") == null ? "." : frameworkProperty.apply("pot4j.home"))
                .toAbsolutePath().normalize();
        List<Path> roots = Arrays.stream(r.list("allowed_roots"))
                .map(String::trim).filter(s -> !s.isEmpty())
                .map(root -> home.resolve(root).toAbsolutePath().normalize()).toList();
        Map<String, Object> client = new LinkedHashMap<>();
        props.forEach((key, value) -> {
            if (key.startsWith(CLIENT_PREFIX) && value != null) {
                client.put(key.substring(CLIENT_PREFIX.length()), String.valueOf(value));
            }
        });
        return new KafkaSettings(
                r.string("bootstrap_servers"),
                r.bool("enabled"),
                r.string("requests_topic"),
                r.string("events_topic"),
                r.string("snapshots_topic"),
                r.string("control_topic"),
                r.string("jobs_topic"),
                r.string("dlq_topic"),
                r.string("group_id"),
                Math.max(0, r.integer("workers")),
                Math.max(1024, r.integer("max_request_bytes")),
                Math.max(1024, r.integer("snapshot_chunk_bytes")),
                roots,
                home.resolve(r.string("output_directory")).toAbsolutePath().normalize(),
                Math.max(1, r.integer("partitions")),
                Math.max(3000, r.integer("session_timeout_ms")),
                Math.max(1000, r.integer("lease_ms")),
                Map.copyOf(client),
                stateFolders(frameworkProperty));
    }

    /**
     * The server's own folders: the state folder (embedded broker log, serve's framework cache, statistics cache,
     * logs) and the framework storage wherever it is.
     */
    private static List<Path> stateFolders(Function<String, String> frameworkProperty) {
        List<Path> folders = new java.util.ArrayList<>();
        for (String key : List.of(STATE_PROPERTY, "org.osgi.framework.storage")) {
            String value = frameworkProperty.apply(key);
            if (value != null && !value.isBlank()) {
                Path folder = Path.of(value.trim()).toAbsolutePath().normalize();
                if (folders.stream().noneMatch(folder::startsWith)) {
                    folders.add(folder);
                }
            }
        }
        return List.copyOf(folders);
    }

    /**
     * Why this server must not start, or null: an allowed root or the output directory that contains, or lies in,
     * the server's state folder (a request could then write into the broker's log or the framework cache, or read
     * them), whatever the configuration says.
     */
    public String stateRefusal() {
        for (Path root : allowedRoots) {
            String overlap = ConfigPaths.overlap(root, stateFolders);
            if (overlap != null) {
                return "allowed_roots (conf/org.pot4j.kafka.cfg or -Dpot4j.kafka.allowed.roots): root " + root + " "
                        + overlap + "; allowed: folders apart from it, such as the defaults models, data, outputs and"
                        + " examples of the distribution";
            }
        }
        String overlap = ConfigPaths.overlap(outputDirectory, stateFolders);
        if (overlap != null) {
            return "output_directory (conf/org.pot4j.kafka.cfg or -Dpot4j.kafka.output.directory): "
                    + outputDirectory + " " + overlap + "; allowed: a folder apart from it, such as the default outputs";
        }
        return null;
    }

    /** The default of a {@link KafkaConfig} attribute, as declared there. */
    static Object defaultOf(String name) {
        try {
            // the method's "__" is the key's "_" (see KafkaConfig)
            return KafkaConfig.class.getMethod(name.replace("_", "__")).getDefaultValue();
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("no attribute " + name + " in KafkaConfig", e);
        }
    }

    /** Looks a setting up in the configuration, then in the framework properties, then takes the default. */
    private record Resolver(Map<String, ?> props, Function<String, String> framework) {
        private Object raw(String name) {
            Object value = props.get(name);
            // a configured empty string means "not set" (bootstrap_servers falls back to the framework property)
            if (value != null && !(value instanceof String s && s.isBlank())) {
                return value;
            }
            String property = framework.apply(FRAMEWORK_PREFIX + name.replace('_', '.'));
            return property == null || property.isBlank() ? null : property.trim();
        }

        String string(String name) {
            Object value = raw(name);
            return value == null ? (String) defaultOf(name) : String.valueOf(value).trim();
        }

        boolean bool(String name) {
            Object value = raw(name);
            return value == null ? (Boolean) defaultOf(name) : Boolean.parseBoolean(String.valueOf(value).trim());
        }

        int integer(String name) {
            Object value = raw(name);
            if (value instanceof Number number) {
                return number.intValue();
            }
            try {
                return value == null ? (Integer) defaultOf(name) : Integer.parseInt(String.valueOf(value).trim());
            } catch (NumberFormatException e) {
                throw new org.pot4j.api.InvalidInputException("org.pot4j.kafka " + name, value, "a whole number");
            }
        }

        String[] list(String name) {
            Object value = raw(name);
            if (value == null) {
                return (String[]) defaultOf(name);
            }
            if (value instanceof String[] array) {
                return array;
            }
            if (value instanceof java.util.Collection<?> collection) {
                return collection.stream().map(String::valueOf).toArray(String[]::new);
            }
            return String.valueOf(value).split(",");
        }
    }
}
