package org.pot4j.console.internal;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import jakarta.servlet.http.HttpServletResponse;

/** JSON answers of the console's API, and its error shape: {@code field}, {@code value}, {@code message}. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .enable(JsonParser.Feature.ALLOW_COMMENTS); // job files carry // comments, as the CLI reads them

    private Json() {
    }

    static void write(HttpServletResponse response, int status, Object body) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json;charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        MAPPER.writeValue(response.getOutputStream(), body);
    }

    static void error(HttpServletResponse response, int status, String field, Object value, String message)
            throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("field", field);
        body.put("value", value == null ? null : String.valueOf(value));
        body.put("message", message);
        write(response, status, body);
    }
}
