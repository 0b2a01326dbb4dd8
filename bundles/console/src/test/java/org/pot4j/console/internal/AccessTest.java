package org.pot4j.console.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.Map;

import org.junit.jupiter.api.Test;

import jakarta.servlet.http.HttpServletRequest;

class AccessTest {
    /** A request with these headers and parameters; nothing else of the interface is used by Access. */
    static HttpServletRequest request(Map<String, String> headers, Map<String, String> parameters) {
        return (HttpServletRequest) Proxy.newProxyInstance(AccessTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getHeader" -> headers.get((String) args[0]);
                    case "getParameter" -> parameters.get((String) args[0]);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void withoutATokenEverythingIsAllowed() {
        assertTrue(new Access("").allows(request(Map.of(), Map.of())));
        assertFalse(new Access(" ").required());
    }

    @Test
    void withATokenOnlyTheTokenIsAllowed() {
        Access access = new Access("s3cret");
        assertFalse(access.allows(request(Map.of(), Map.of())));
        assertFalse(access.allows(request(Map.of("Authorization", "Bearer wrong"), Map.of())));
        assertFalse(access.allows(request(Map.of("Authorization", "Basic czNjcmV0"), Map.of())));
        assertFalse(access.allows(request(Map.of(), Map.of("token", "s3cre"))));
        assertTrue(access.allows(request(Map.of("Authorization", "Bearer s3cret"), Map.of())));
        assertTrue(access.allows(request(Map.of("Authorization", "bearer s3cret"), Map.of())));
        assertTrue(access.allows(request(Map.of(), Map.of("token", "s3cret"))));
    }
}
