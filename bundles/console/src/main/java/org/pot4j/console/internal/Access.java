package org.pot4j.console.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The token check of what changes or reads job data (submit, cancel, downloads). The token comes as
 * {@code Authorization: Bearer TOKEN} or, for plain download links, as the query parameter {@code token}.
 */
final class Access {
    private final byte[] token;

    Access(String token) {
        this.token = token == null || token.isBlank() ? null : token.trim().getBytes(StandardCharsets.UTF_8);
    }

    static Access of(ConsoleConfig config) {
        return new Access(config.token());
    }

    boolean required() {
        return token != null;
    }

    boolean allows(HttpServletRequest request) {
        if (token == null) {
            return true;
        }
        String given = null;
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            given = header.substring(7).trim();
        } else if (request.getParameter("token") != null) {
            given = request.getParameter("token");
        }
        // constant time: the comparison does not tell how much of a guess was right
        return given != null && MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8));
    }

    /** True when allowed; else answers 401 naming what is missing. */
    boolean check(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (allows(request)) {
            return true;
        }
        Json.error(response, HttpServletResponse.SC_UNAUTHORIZED, "token", null,
                "this console requires its token (" + ConsoleConfig.PID + ".token): Authorization: Bearer TOKEN");
        return false;
    }
}
