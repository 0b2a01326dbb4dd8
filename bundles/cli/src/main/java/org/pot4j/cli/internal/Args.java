package org.pot4j.cli.internal;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.params.Parameters;

/** Parses "-c FILE --batch 8 --json" style options against the options a command knows. */
final class Args {
    /** Options every command accepts: print the usage line and exit 0. */
    static final Set<String> HELP = Set.of("-h", "--help");

    private final Map<String, String> values = new LinkedHashMap<>();
    /** Every value of a repeated option, in order (values keeps the last). */
    private final Map<String, List<String>> repeated = new LinkedHashMap<>();
    private final String command;
    private boolean help;

    private Args(String command) {
        this.command = command;
    }

    /**
     * @param valued options that take a value (with their aliases, e.g. "-c", "--config")
     * @param flags  options without a value
     */
    static Args parse(String command, List<String> args, Set<String> valued, Set<String> flags) {
        Args result = new Args(command);
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (valued.contains(arg)) {
                if (i + 1 >= args.size()) {
                    throw new InvalidInputException(command + " " + arg, null, "a value is required after " + arg);
                }
                result.values.put(arg, args.get(++i));
                result.repeated.computeIfAbsent(arg, k -> new java.util.ArrayList<>()).add(args.get(i));
            } else if (flags.contains(arg)) {
                result.values.put(arg, "true");
            } else if (HELP.contains(arg)) {
                // every command answers it: the caller prints its usage and does nothing else
                result.help = true;
            } else {
                List<String> known = new java.util.ArrayList<>(valued);
                known.addAll(flags);
                known.add("--help");
                java.util.Collections.sort(known);
                throw new InvalidInputException(command + " option", arg, "known options: " + String.join(", ", known)
                        + Parameters.nearest(arg, known).map(s -> " (did you mean '" + s + "'?)").orElse(""));
            }
        }
        return result;
    }

    String get(String... names) {
        for (String name : names) {
            if (values.containsKey(name)) {
                return values.get(name);
            }
        }
        return null;
    }

    /** Every value given for the option under any of its names, in command-line order per name. */
    List<String> all(String... names) {
        List<String> result = new java.util.ArrayList<>();
        for (String name : names) {
            result.addAll(repeated.getOrDefault(name, List.of()));
        }
        return result;
    }

    String require(String... names) {
        String value = get(names);
        if (value == null) {
            throw new InvalidInputException(command + " " + names[0], null, "this option is required");
        }
        return value;
    }

    /** True when -h or --help was given. */
    boolean help() {
        return help;
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    Path path(String... names) {
        String value = get(names);
        return value == null ? null : Path.of(value).toAbsolutePath().normalize();
    }

    int integer(String name, int defaultValue, int min) {
        return integer(name, defaultValue, min, Integer.MAX_VALUE);
    }

    /** A whole number in [min, max]; else bad input naming the option, the value and the range. */
    int integer(String name, int defaultValue, int min, int max) {
        String value = get(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed < min || parsed > max) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new InvalidInputException(command + " " + name, value, max == Integer.MAX_VALUE
                    ? "a whole number >= " + min : "a whole number from " + min + " to " + max);
        }
    }

    /** A number in (0, max]; else bad input naming the option, the value and the range. */
    double number(String name, double defaultValue, double max) {
        String value = get(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            double parsed = Double.parseDouble(value);
            if (!(parsed > 0) || parsed > max) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new InvalidInputException(command + " " + name, value, "a number > 0 and <= " + Args.plain(max));
        }
    }

    /** 3600.0 as "3600", 0.5 as "0.5". */
    private static String plain(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }
}
