package org.pot4j.console.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.Locale;

import org.pot4j.api.InvalidInputException;

/** {@link ConsoleConfig} checked: every bad value is refused naming its key, the value and what is allowed. */
record ConsoleSettings(boolean listen, int port, String bindAddress, String token) {

    static ConsoleSettings of(ConsoleConfig config, boolean serving) {
        String enabled = config.enabled() == null ? "" : config.enabled().trim().toLowerCase(Locale.ROOT);
        boolean listen = switch (enabled) {
            case "auto", "" -> serving;
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidInputException(ConsoleConfig.PID + ".enabled", config.enabled(),
                    "auto, true or false");
        };
        if (config.port() < 0 || config.port() > 65535) {
            throw new InvalidInputException(ConsoleConfig.PID + ".port", config.port(), "0 (a free port) to 65535");
        }
        String bind = config.bind_address() == null ? "" : config.bind_address().trim();
        String token = config.token() == null ? "" : config.token().trim();
        InetAddress address;
        try {
            address = InetAddress.getByName(bind.isEmpty() ? "127.0.0.1" : bind);
        } catch (UnknownHostException e) {
            throw new InvalidInputException(ConsoleConfig.PID + ".bind.address", bind,
                    "an address of this machine, e.g. 127.0.0.1");
        }
        if (!address.isLoopbackAddress() && token.isEmpty()) {
            throw new InvalidInputException(ConsoleConfig.PID + ".bind.address", bind,
                    "a loopback address unless " + ConsoleConfig.PID + ".token is set");
        }
        return new ConsoleSettings(listen, config.port(), address.getHostAddress(), token);
    }

    /**
     * Why the port cannot be listened on (another process holds it), or null when it can. Tried for about a second:
     * after a configuration change this runtime's own Jetty may still be closing the port.
     */
    String portTaken() {
        if (port == 0) {
            return null;
        }
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getByName(bindAddress))) {
                return null;
            } catch (IOException e) {
                last = e;
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return bindAddress + ":" + port + " is in use or not allowed (" + last.getMessage() + "); set another "
                + ConsoleConfig.PID + ".port in conf/" + ConsoleConfig.PID + ".cfg (0: a free port)";
    }
}
