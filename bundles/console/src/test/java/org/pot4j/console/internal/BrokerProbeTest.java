package org.pot4j.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

import org.junit.jupiter.api.Test;

class BrokerProbeTest {
    @Test
    void aListeningAddressIsReachableAndAClosedOneIsNot() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
            assertEquals("127.0.0.1:" + port, BrokerProbe.reachable("127.0.0.1:1, 127.0.0.1:" + port));
        }
        assertNull(BrokerProbe.reachable("127.0.0.1:" + port));
        assertNull(BrokerProbe.reachable("no-port"));
        assertNull(BrokerProbe.reachable(null));
    }
}
