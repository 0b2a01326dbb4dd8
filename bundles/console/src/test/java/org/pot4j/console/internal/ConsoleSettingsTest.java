package org.pot4j.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.net.InetAddress;
import java.net.ServerSocket;

import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;

class ConsoleSettingsTest {
    static ConsoleConfig config(String enabled, int port, String bind, String token) {
        return new ConsoleConfig() {
            @Override public Class<? extends Annotation> annotationType() { return ConsoleConfig.class; }
            @Override public String enabled() { return enabled; }
            @Override public int port() { return port; }
            @Override public String bind_address() { return bind; }
            @Override public String token() { return token; }
            @Override public String[] allowed_roots() { return new String[] {"models", "data", "outputs", "examples"}; }
        };
    }

    @Test
    void autoListensUnderServeOnly() {
        assertTrue(ConsoleSettings.of(config("auto", 8642, "127.0.0.1", ""), true).listen());
        assertFalse(ConsoleSettings.of(config("auto", 8642, "127.0.0.1", ""), false).listen());
        assertTrue(ConsoleSettings.of(config("true", 0, "127.0.0.1", ""), false).listen());
        assertFalse(ConsoleSettings.of(config("false", 0, "127.0.0.1", ""), true).listen());
    }

    @Test
    void anotherAddressThanLoopbackNeedsAToken() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> ConsoleSettings.of(config("auto", 8642, "0.0.0.0", ""), true));
        assertEquals("org.pot4j.console.bind.address", e.field());
        assertTrue(e.getMessage().contains("token"), e.getMessage());
        assertEquals("0.0.0.0", ConsoleSettings.of(config("auto", 8642, "0.0.0.0", "s3cret"), true).bindAddress());
    }

    @Test
    void badValuesNameTheirKey() {
        assertEquals("org.pot4j.console.port", assertThrows(InvalidInputException.class,
                () -> ConsoleSettings.of(config("auto", 70000, "127.0.0.1", ""), true)).field());
        assertEquals("org.pot4j.console.enabled", assertThrows(InvalidInputException.class,
                () -> ConsoleSettings.of(config("yes", 1, "127.0.0.1", ""), true)).field());
    }

    @Test
    void aPortAnotherProcessHoldsIsNamed() throws IOException {
        try (ServerSocket holder = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String taken = ConsoleSettings.of(config("true", holder.getLocalPort(), "127.0.0.1", ""), false).portTaken();
            assertTrue(taken != null && taken.contains("127.0.0.1:" + holder.getLocalPort())
                    && taken.contains("org.pot4j.console.port"), taken);
        }
        assertEquals(null, ConsoleSettings.of(config("true", 0, "127.0.0.1", ""), false).portTaken());
    }
}
