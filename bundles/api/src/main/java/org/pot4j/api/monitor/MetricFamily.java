package org.pot4j.api.monitor;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A metric in the sense of the Prometheus text format: a name, its help, its type and its samples. Only gauges and
 * counters (a histogram is the console's own).
 *
 * @param name    a Prometheus metric name ({@code [a-zA-Z_:][a-zA-Z0-9_:]*}); a counter's ends with {@code _total}
 * @param help    one line of help
 * @param type    GAUGE or COUNTER
 * @param samples the values, each with its labels
 */
public record MetricFamily(String name, String help, Type type, List<Sample> samples) {
    static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    /** The kinds of metric a source may contribute. */
    public enum Type { GAUGE, COUNTER }

    /** One value and its labels (names {@code [a-zA-Z_][a-zA-Z0-9_]*}, not starting with {@code __}). */
    public record Sample(Map<String, String> labels, double value) {
        public Sample {
            labels = labels == null ? Map.of() : Map.copyOf(labels); // a null name or value: NullPointerException
            for (String label : labels.keySet()) {
                if (!LABEL.matcher(label).matches() || label.startsWith("__")) {
                    throw new IllegalArgumentException("MetricFamily.Sample label name '" + label
                            + "': allowed: [a-zA-Z_][a-zA-Z0-9_]*, not starting with __");
                }
            }
        }

        public static Sample of(double value) {
            return new Sample(Map.of(), value);
        }
    }

    public MetricFamily {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("MetricFamily.name '" + name + "': allowed: [a-zA-Z_:][a-zA-Z0-9_:]*");
        }
        if (type == null) {
            throw new IllegalArgumentException("MetricFamily.type of " + name + ": null; allowed: GAUGE, COUNTER");
        }
        if (type == Type.COUNTER && !name.endsWith("_total")) {
            throw new IllegalArgumentException("MetricFamily.name '" + name + "' of a COUNTER: allowed: a name"
                    + " ending with _total");
        }
        help = help == null ? "" : help.replace('\n', ' ');
        samples = samples == null ? List.of() : List.copyOf(samples);
    }
}
