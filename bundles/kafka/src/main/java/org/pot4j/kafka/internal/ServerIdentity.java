package org.pot4j.kafka.internal;

import java.net.InetAddress;

/** How this server names itself in events and job states: host and process id. */
final class ServerIdentity {
    private static final String NAME = compute();

    private ServerIdentity() {
    }

    static String name() {
        return NAME;
    }

    private static String compute() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "localhost";
        }
        return host + "-" + ProcessHandle.current().pid();
    }
}
