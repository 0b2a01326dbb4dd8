package org.pot4j.kafka.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;

/** The JSON of events and job states on the topics, and header helpers. */
public final class Messages {
    public static final ObjectMapper JSON = new ObjectMapper();

    /** The job state of a job whose run a server stop ended: not terminal, its request is delivered again. */
    public static final String INTERRUPTED = "INTERRUPTED";
    public static final String HEADER_REASON = "pot4j.reason";
    public static final String HEADER_ERROR = "pot4j.error";
    public static final String HEADER_SNAPSHOT_ID = "pot4j.snapshot.id";
    public static final String HEADER_SNAPSHOT_LABEL = "pot4j.snapshot.label";
    public static final String HEADER_FINAL = "pot4j.snapshot.final";
    public static final String HEADER_CHUNK_INDEX = "pot4j.chunk.index";
    public static final String HEADER_CHUNK_COUNT = "pot4j.chunk.count";
    public static final String HEADER_SHA256 = "pot4j.sha256";
    public static final String HEADER_METRICS = "pot4j.metrics";

    private Messages() {
    }

    public static Map<String, Object> event(JobEvent event, String server) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("job_id", event.jobId());
        json.put("sequence", event.sequence());
        json.put("run", JobStates.runOf(event.sequence()));
        json.put("time", event.time() == null ? Instant.now().toString() : event.time().toString());
        json.put("type", event.type().name());
        putIfSet(json, "stage", event.stage());
        putIfSet(json, "done", event.done());
        putIfSet(json, "total", event.total());
        putIfSet(json, "metrics", event.metrics());
        putIfSet(json, "message", event.message());
        putIfSet(json, "code", event.code());
        putIfSet(json, "details", event.details());
        json.put("server", server);
        return json;
    }

    /** The job state an event leads to, or null when the event does not change it (progress, metrics). */
    public static String stateOf(JobEventType type) {
        return switch (type) {
            case ACCEPTED -> "ACCEPTED";
            case STARTED, STAGE -> "STARTED";
            case COMPLETED, FAILED, CANCELLED, REJECTED -> type.name();
            default -> null;
        };
    }

    public static Map<String, Object> jobState(JobEvent event, String state, String server) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("job_id", event.jobId());
        json.put("state", state);
        json.put("updated", event.time() == null ? Instant.now().toString() : event.time().toString());
        json.put("sequence", event.sequence());
        json.put("run", JobStates.runOf(event.sequence()));
        putIfSet(json, "stage", event.stage());
        putIfSet(json, "message", event.message());
        putIfSet(json, "code", event.code());
        if (event.type() == JobEventType.COMPLETED && event.details() != null) {
            json.put("summary", event.details());
        }
        json.put("server", server);
        return json;
    }

    private static void putIfSet(Map<String, Object> json, String key, Object value) {
        if (value != null) {
            json.put(key, value);
        }
    }

    public static byte[] bytes(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON-serializable: " + e.getOriginalMessage(), e);
        }
    }

    public static Map<String, Object> map(byte[] bytes) throws IOException {
        return JSON.readValue(bytes, new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    public static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    public static String header(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
