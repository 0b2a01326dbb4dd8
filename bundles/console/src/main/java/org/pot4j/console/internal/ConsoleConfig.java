package org.pot4j.console.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration pid {@value #PID} ({@code conf/org.pot4j.console.cfg}). */
@ObjectClassDefinition(name = "pot4j console", description = "The web console, /metrics and /health of bin/pot serve")
public @interface ConsoleConfig {
    String PID = "org.pot4j.console";

    @AttributeDefinition(description = "Listen: auto (only under bin/pot serve), true (any run) or false")
    String enabled() default "auto";

    @AttributeDefinition(description = "TCP port; 0: a free port (serve prints the URL)")
    int port() default 8642;

    @AttributeDefinition(description = "Address to listen on; anything but loopback needs a token")
    String bind_address() default "127.0.0.1";

    @AttributeDefinition(description = "When set, submit, cancel and downloads need it (Authorization: Bearer TOKEN)")
    String token() default "";

    @AttributeDefinition(description = "Folders (relative to the distribution, or absolute) that every path of a job "
            + "submitted through the form must lie in; the Kafka bundle's default")
    String[] allowed_roots() default {"models", "data", "outputs", "examples"};
}
