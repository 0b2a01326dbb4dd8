package org.pot4j.cli.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.pot4j.api.command.Command;
import org.pot4j.api.registry.PluginInfo;
import org.pot4j.api.registry.PluginRegistry;

/** {@code pot plugins [--json]}: the live plugins, as a table or as JSON. */
@Component(service = Command.class, property = {
        Command.PROPERTY + "=plugins",
        Command.DESCRIPTION + "=List the live plugins (algorithms, metrics, loaders, devices, backends) [--json]"})
public final class PluginsCommand implements Command {

    static final String USAGE = "usage: pot plugins [--json]";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final PluginRegistry registry;

    @Activate
    public PluginsCommand(@Reference(name = "registry") PluginRegistry registry) {
        this.registry = registry;
    }

    @Override
    public int execute(List<String> args, PrintStream out, PrintStream err) throws Exception {
        boolean json = false;
        for (String arg : args) {
            switch (arg) {
                case "--json" -> json = true;
                case "-h", "--help" -> {
                    out.println(USAGE);
                    return 0;
                }
                default -> {
                    err.println("plugins: unknown option '" + arg + "'; allowed: --json, --help");
                    err.println(USAGE);
                    return 2;
                }
            }
        }
        List<PluginInfo> plugins = registry.plugins();
        if (json) {
            out.println(JSON.writeValueAsString(asJson(plugins)));
        } else {
            printTable(plugins, out);
        }
        out.flush();
        return 0;
    }

    /** Explicit field names and order, so the JSON stays stable whatever PluginInfo grows. */
    static List<Map<String, Object>> asJson(List<PluginInfo> plugins) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (PluginInfo plugin : plugins) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("kind", plugin.kind().label());
            row.put("name", plugin.name());
            row.put("bundle", plugin.bundle());
            row.put("version", plugin.version());
            row.put("bundleId", plugin.bundleId());
            rows.add(row);
        }
        return rows;
    }

    static void printTable(List<PluginInfo> plugins, PrintStream out) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"KIND", "NAME", "BUNDLE", "VERSION"});
        for (PluginInfo plugin : plugins) {
            rows.add(new String[] {plugin.kind().label(), plugin.name(), plugin.bundle(), plugin.version()});
        }
        int[] widths = new int[4];
        for (String[] row : rows) {
            for (int column = 0; column < widths.length; column++) {
                widths[column] = Math.max(widths[column], row[column].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int column = 0; column < widths.length; column++) {
                line.append(column == widths.length - 1 ? row[column] : pad(row[column], widths[column] + 2));
            }
            out.println(line.toString().stripTrailing());
        }
        if (plugins.isEmpty()) {
            out.println("(no plugins are live)");
        }
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(Math.max(0, width - text.length()));
    }
}
