package org.pot4j.config.support;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pot4j.api.params.Parameters;

/**
 * The keys a component's {@code @ObjectClassDefinition} reads, named as Declarative Services maps its method names
 * ({@code batch_size()} reads {@code batch.size}, {@code bootstrap__servers()} reads {@code bootstrap_servers}), and
 * the keys of a configuration that none of them reads: a misspelt or wrongly mapped key in {@code conf/} is reported
 * by the component, not silently ignored.
 */
public final class ConfigKeys {

    private ConfigKeys() {
    }

    /** The configuration key of an annotation method (OSGi DS 112.8.2.1): "__" is "_", "_" is ".", "$" dropped. */
    public static String keyOf(String methodName) {
        StringBuilder key = new StringBuilder();
        for (int i = 0; i < methodName.length(); i++) {
            char c = methodName.charAt(i);
            if (c == '$') {
                continue;
            }
            if (c == '_' && i + 1 < methodName.length() && methodName.charAt(i + 1) == '_') {
                key.append('_');
                i++;
            } else {
                key.append(c == '_' ? '.' : c);
            }
        }
        return key.toString();
    }

    /** Every key {@code ocd} reads, in declaration order. */
    public static List<String> known(Class<?> ocd) {
        List<String> keys = new ArrayList<>();
        for (Method method : ocd.getDeclaredMethods()) {
            if (method.getParameterCount() == 0 && !method.isSynthetic()) {
                keys.add(keyOf(method.getName()));
            }
        }
        return keys;
    }

    /**
     * The keys of {@code properties} that {@code ocd} does not read, except the framework's own (service.*,
     * component.*, felix.*, osgi.*, objectClass) and those under one of {@code passThroughPrefixes} (the
     * component's own service properties, such as pot4j.backend, are among a component's properties too).
     */
    public static List<String> unknown(Class<?> ocd, Map<String, ?> properties, String... passThroughPrefixes) {
        List<String> known = known(ocd);
        List<String> unknown = new ArrayList<>();
        for (String key : properties.keySet()) {
            if (known.contains(key) || frameworkKey(key)
                    || Arrays.stream(passThroughPrefixes).anyMatch(key::startsWith)) {
                continue;
            }
            unknown.add(key);
        }
        unknown.sort(null);
        return unknown;
    }

    /** One line per unknown key: the configuration, the key, the nearest known key, and every known key. */
    public static List<String> report(String pid, Class<?> ocd, Map<String, ?> properties,
                                      String... passThroughPrefixes) {
        List<String> known = known(ocd);
        List<String> lines = new ArrayList<>();
        for (String key : unknown(ocd, properties, passThroughPrefixes)) {
            Optional<String> nearest = Parameters.nearest(key, known);
            lines.add("pot4j: configuration " + pid + " (conf/" + pid + ".cfg): unknown key '" + key + "' is ignored"
                    + nearest.map(n -> "; did you mean '" + n + "'?").orElse("") + " Known keys: "
                    + String.join(", ", known));
        }
        return lines;
    }

    private static boolean frameworkKey(String key) {
        return key.startsWith("service.") || key.startsWith("component.") || key.startsWith("felix.")
                || key.startsWith("osgi.") || key.equals("objectClass");
    }
}
