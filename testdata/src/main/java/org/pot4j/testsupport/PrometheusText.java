package org.pot4j.testsupport;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests of {@code /metrics}: every line is a
 * {@code # HELP}, {@code # TYPE}, another comment, or a sample; a family's TYPE comes before its samples and once; its
 * samples are contiguous and named after it (a histogram's {@code _bucket}, {@code _sum}, {@code _count}); label
 * values use only the three escapes; no series twice; a counter is not negative; a histogram's buckets rise with
 * {@code le} and end with {@code +Inf} equal to {@code _count}. A violation throws {@link IllegalArgumentException}
 * naming the line.
 */
public final class PrometheusText {
    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") (.*)");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(.*)\\})? (\\S+)( -?[0-9]+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(,|$)");

    /** One sample: its name, labels (sorted) and value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    /** One family: its type (untyped when not declared), help and samples in order. */
    public record Family(String name, String type, String help, List<Sample> samples) {
    }

    private final Map<String, Family> families;

    private PrometheusText(Map<String, Family> families) {
        this.families = families;
    }

    public Map<String, Family> families() {
        return families;
    }

    /** The value of the series {@code name} with exactly {@code labels} (name, value, name, value...), or null. */
    public Double value(String name, String... labels) {
        Map<String, String> wanted = new TreeMap<>();
        for (int i = 0; i + 1 < labels.length; i += 2) {
            wanted.put(labels[i], labels[i + 1]);
        }
        for (Family family : families.values()) {
            for (Sample sample : family.samples()) {
                if (sample.name().equals(name) && sample.labels().equals(wanted)) {
                    return sample.value();
                }
            }
        }
        return null;
    }

    /** The samples named {@code name}, whatever their labels. */
    public List<Sample> samples(String name) {
        List<Sample> found = new ArrayList<>();
        families.values().forEach(f -> f.samples().stream().filter(s -> s.name().equals(name)).forEach(found::add));
        return found;
    }

    public static PrometheusText parse(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("the exposition does not end with a line feed");
        }
        Map<String, Family> families = new LinkedHashMap<>();
        Map<String, String> help = new LinkedHashMap<>();
        Set<String> series = new HashSet<>();
        String current = null;
        Set<String> closed = new HashSet<>();
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length - 1; n++) {
            String line = lines[n];
            String where = "line " + (n + 1) + " '" + line + "': ";
            if (line.isEmpty()) {
                continue;
            }
            Matcher m;
            if (line.startsWith("# HELP ")) {
                if (!(m = HELP.matcher(line)).matches()) {
                    throw new IllegalArgumentException(where + "a malformed HELP line");
                }
                if (help.put(m.group(1), m.group(2)) != null) {
                    throw new IllegalArgumentException(where + "a second HELP for " + m.group(1));
                }
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                if (!(m = TYPE.matcher(line)).matches()) {
                    throw new IllegalArgumentException(where + "a malformed TYPE line");
                }
                String name = m.group(1);
                if (families.containsKey(name)) {
                    throw new IllegalArgumentException(where + "a second TYPE for " + name
                            + " (or after its samples)");
                }
                families.put(name, new Family(name, m.group(2), null, new ArrayList<>()));
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            if (!(m = SAMPLE.matcher(line)).matches()) {
                throw new IllegalArgumentException(where + "not a sample line");
            }
            String name = m.group(1);
            Map<String, String> labels = labels(m.group(3), where);
            double value = value(m.group(4), where);
            String family = familyOf(name, families);
            if (!family.equals(current)) {
                if (closed.contains(family)) {
                    throw new IllegalArgumentException(where + "the samples of " + family + " are not contiguous");
                }
                if (current != null) {
                    closed.add(current);
                }
                current = family;
            }
            Family f = families.computeIfAbsent(family, k -> new Family(k, "untyped", null, new ArrayList<>()));
            if (!series.add(name + labels)) {
                throw new IllegalArgumentException(where + "the series " + name + labels + " twice");
            }
            if (f.type().equals("counter") && value < 0) {
                throw new IllegalArgumentException(where + "a negative counter");
            }
            if (f.type().equals("histogram") && name.equals(family)) {
                throw new IllegalArgumentException(where + "a histogram sample without _bucket, _sum or _count");
            }
            f.samples().add(new Sample(name, labels, value));
        }
        Map<String, Family> result = new LinkedHashMap<>();
        for (Family f : families.values()) {
            if (f.type().equals("histogram")) {
                checkHistogram(f);
            }
            result.put(f.name(), new Family(f.name(), f.type(), help.get(f.name()), List.copyOf(f.samples())));
        }
        return new PrometheusText(result);
    }

    private static String familyOf(String name, Map<String, Family> families) {
        for (String suffix : List.of("_bucket", "_sum", "_count")) {
            if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                Family f = families.get(base);
                if (f != null && (f.type().equals("histogram") || f.type().equals("summary"))) {
                    return base;
                }
            }
        }
        return name;
    }

    private static Map<String, String> labels(String text, String where) {
        Map<String, String> labels = new TreeMap<>();
        if (text == null || text.isEmpty()) {
            return labels;
        }
        Matcher m = LABEL.matcher(text);
        int at = 0;
        while (at < text.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException(where + "malformed labels at '" + text.substring(at) + "'");
            }
            String value = m.group(2).replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\");
            if (labels.put(m.group(1), value) != null) {
                throw new IllegalArgumentException(where + "the label " + m.group(1) + " twice");
            }
            at = m.end();
        }
        return labels;
    }

    private static double value(String text, String where) {
        switch (text) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                if (!text.matches("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?")) {
                    throw new IllegalArgumentException(where + "the value '" + text + "' is not a number");
                }
                return Double.parseDouble(text);
        }
    }

    private static void checkHistogram(Family f) {
        Map<Map<String, String>, TreeMap<Double, Double>> buckets = new LinkedHashMap<>();
        Map<Map<String, String>, Double> counts = new LinkedHashMap<>();
        for (Sample s : f.samples()) {
            Map<String, String> others = new TreeMap<>(s.labels());
            if (s.name().endsWith("_bucket")) {
                String le = others.remove("le");
                if (le == null) {
                    throw new IllegalArgumentException(f.name() + ": a bucket without le " + s.labels());
                }
                buckets.computeIfAbsent(others, k -> new TreeMap<>()).put(value(le, f.name() + ": le "), s.value());
            } else if (s.name().endsWith("_count")) {
                counts.put(others, s.value());
            }
        }
        buckets.forEach((labels, series) -> {
            double last = 0;
            for (Map.Entry<Double, Double> bucket : series.entrySet()) {
                if (bucket.getValue() < last) {
                    throw new IllegalArgumentException(f.name() + labels + ": the bucket le=" + bucket.getKey()
                            + " counts " + bucket.getValue() + ", less than the one below (" + last + ")");
                }
                last = bucket.getValue();
            }
            if (series.lastKey() != Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException(f.name() + labels + ": no +Inf bucket");
            }
            if (!Double.valueOf(last).equals(counts.get(labels))) {
                throw new IllegalArgumentException(f.name() + labels + ": the +Inf bucket " + last + " is not _count "
                        + counts.get(labels));
            }
        });
    }
}
