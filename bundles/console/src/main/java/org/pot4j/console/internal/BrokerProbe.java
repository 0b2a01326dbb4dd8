package org.pot4j.console.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Whether a Kafka broker of {@code host:port[,host:port]} accepts a TCP connection: what {@code /health} can tell
 * without a Kafka client of its own (the Kafka bundle keeps its client private).
 */
final class BrokerProbe {
    static final int TIMEOUT_MILLIS = 1000;

    private BrokerProbe() {
    }

    /** The first address that answers, or null when none does (or none is configured). */
    static String reachable(String bootstrapServers) {
        if (bootstrapServers == null) {
            return null;
        }
        for (String server : bootstrapServers.split(",")) {
            String trimmed = server.trim();
            int colon = trimmed.lastIndexOf(':');
            if (colon <= 0) {
                continue;
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(trimmed.substring(0, colon),
                        Integer.parseInt(trimmed.substring(colon + 1))), TIMEOUT_MILLIS);
                return trimmed;
            } catch (IOException | IllegalArgumentException e) {
                // next one
            }
        }
        return null;
    }
}
