package org.pot4j.kafka.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.InvalidInputException;

/** "-c FILE --follow" style options against the options a command knows; positional arguments kept in order. */
final class CommandArgs {
    /** Options every command accepts: print the usage line and exit 0. */
    static final Set<String> HELP = Set.of("-h", "--help");

    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();
    private boolean help;

    static CommandArgs parse(String command, List<String> args, Set<String> valued, Set<String> flags) {
        CommandArgs result = new CommandArgs();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (valued.contains(arg)) {
                if (i + 1 >= args.size()) {
                    throw new InvalidInputException(command + " " + arg, null, "a value is required after " + arg);
                }
                result.values.put(arg, args.get(++i));
            } else if (flags.contains(arg)) {
                result.values.put(arg, "true");
            } else if (HELP.contains(arg)) {
                // every command answers it: the caller prints its usage and does nothing else
                result.help = true;
            } else if (arg.startsWith("-")) {
                List<String> known = new ArrayList<>(valued);
                known.addAll(flags);
                known.add("--help");
                Collections.sort(known);
                throw new InvalidInputException(command + " option", arg, "known options: " + String.join(", ", known));
            } else {
                result.positional.add(arg);
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

    /** True when -h or --help was given. */
    boolean help() {
        return help;
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    List<String> positional() {
        return positional;
    }
}
