package org.pot4j.console.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.pot4j.api.InvalidInputException;

/**
 * Turns Felix HTTP on where the console should listen. The launcher starts every run with
 * {@code org.apache.felix.http.enable=false}, so a CLI command never opens a port; this component writes the Felix
 * HTTP configuration (pid {@value #FELIX_HTTP_PID}) from {@link ConsoleConfig} when the console listens, and prints
 * the URL once Jetty runs.
 */
@Component(immediate = true, configurationPid = ConsoleConfig.PID)
@Designate(ocd = ConsoleConfig.class)
public final class HttpEndpoint {
    static final String FELIX_HTTP_PID = "org.apache.felix.http";
    /** The framework property bin/pot serve sets. */
    static final String SERVING = "pot4j.kafka.enabled";

    private final ConfigurationAdmin configurationAdmin;
    private final PrintStream out = System.out;
    private volatile Configuration written;
    private volatile String printed = "";

    @Activate
    public HttpEndpoint(BundleContext context, ConsoleConfig config, @Reference ConfigurationAdmin configurationAdmin)
            throws IOException {
        this.configurationAdmin = configurationAdmin;
        ConsoleSettings settings;
        try {
            settings = ConsoleSettings.of(config, "true".equals(context.getProperty(SERVING)));
        } catch (InvalidInputException e) {
            System.err.println("pot4j console: not listening: " + e.getMessage());
            return;
        }
        if (!settings.listen()) {
            return;
        }
        String taken = settings.portTaken();
        if (taken != null) {
            // Jetty would fail in its own thread and log through the dropped slf4j; Felix would still announce
            System.err.println("pot4j console: not listening: " + taken);
            return;
        }
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("org.apache.felix.http.enable", true);
        properties.put("org.osgi.service.http.port", settings.port());
        properties.put("org.apache.felix.http.host", settings.bindAddress());
        Configuration configuration = configurationAdmin.getConfiguration(FELIX_HTTP_PID, null);
        configuration.update(properties);
        written = configuration;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindRuntime(HttpServiceRuntime runtime, Map<String, Object> properties) {
        Object endpoints = properties.get("osgi.http.endpoint");
        if (written != null && endpoints != null) {
            String first = endpoints instanceof String[] array ? (array.length > 0 ? array[0] : "") : endpoints.toString();
            if (!first.isEmpty() && !first.equals(printed)) {
                printed = first;
                out.println("pot4j console: " + first);
            }
        }
    }

    void updatedRuntime(HttpServiceRuntime runtime, Map<String, Object> properties) {
        bindRuntime(runtime, properties);
    }

    void unbindRuntime(HttpServiceRuntime runtime) {
        // nothing kept
    }

    @Deactivate
    void deactivate() {
        Configuration configuration = written;
        if (configuration != null) {
            try {
                configuration.delete();
            } catch (IOException | IllegalStateException e) {
                // the framework stops: Felix HTTP goes with it
            }
        }
    }
}
