package org.pot4j.kafka.internal;

import org.pot4j.config.support.ConfigPaths;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.pot4j.config.support.JsonErrors;

/**
 * Turns a record of {@code pot4j.requests} into a job request, or says why not. The value is
 * either {@code {"job_id"?, "config": {...}, "base_dir"?, "output_dir"?}} or the POT configuration
 * itself; the job id is {@code job_id}, else the record key, else one derived from the record's
 * position (so a re-delivered record keeps its id).
 * <p>
 * The wrapper takes those four keys only: any other (e.g. {@code priority}, {@code callback_url}) is
 * REJECTED naming it and the allowed ones, rather than silently ignored. A {@code job_id} that differs
 * from a record key is REJECTED too, under the record key (the id its sender follows): the key picks the
 * partition, which orders a job's requests and cancels (the server owning a job id's partition records a cancel
 * for it before it runs), so a request keyed otherwise would escape both. A record without a key may name its job
 * by {@code job_id}.
 */
public final class RequestParser {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.ALLOW_COMMENTS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            // "{...}}garbage" is malformed, not the object before the garbage
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * Where the server's paths live. {@code stateFolders}: the server's own state (broker log, framework cache,
     * statistics cache, logs), which no request may name, whatever the roots say.
     */
    public record Limits(int maxBytes, List<Path> allowedRoots, Path defaultBase, Path outputDirectory,
                         List<Path> stateFolders) {
        public Limits(int maxBytes, List<Path> allowedRoots, Path defaultBase, Path outputDirectory) {
            this(maxBytes, allowedRoots, defaultBase, outputDirectory, List.of());
        }
    }

    public sealed interface Outcome permits Parsed, Unparseable, Rejected {
    }

    /** A request that may run. */
    public record Parsed(String jobId, Map<String, Object> config, Path baseDirectory, Path outputDirectory)
            implements Outcome {
    }

    /** Goes to the DLQ: {@code reason} is a short code (MALFORMED_JSON, TOO_LARGE, NOT_AN_OBJECT, EMPTY). */
    public record Unparseable(String jobId, String reason, String message) implements Outcome {
    }

    /** Parsed but not allowed (paths outside the roots, bad fields): a REJECTED event, no DLQ. */
    public record Rejected(String jobId, String code, String field, String message) implements Outcome {
    }

    /** The keys of the request wrapper. */
    static final List<String> WRAPPER_KEYS = List.of("job_id", "config", "base_dir", "output_dir");

    private RequestParser() {
    }

    public static Outcome parse(String key, byte[] value, String fallbackJobId, Limits limits) {
        String keyId = key == null || key.isBlank() ? null : key;
        if (value == null || value.length == 0) {
            return new Unparseable(keyId, "EMPTY", "the record has no value");
        }
        if (value.length > limits.maxBytes()) {
            return new Unparseable(keyId, "TOO_LARGE", "the request has " + value.length
                    + " bytes; at most " + limits.maxBytes() + " are accepted (max_request_bytes)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(value);
        } catch (JsonProcessingException e) {
            return new Unparseable(keyId, "MALFORMED_JSON", JsonErrors.describe(e).message());
        } catch (IOException e) {
            return new Unparseable(keyId, "MALFORMED_JSON", "unreadable: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            return new Unparseable(keyId, "NOT_AN_OBJECT", "the request must be a JSON object, e.g. "
                    + "{\"job_id\": \"...\", \"config\": {...}}");
        }
        boolean wrapped = root.has("config");
        String jobId = wrapped && root.hasNonNull("job_id") ? root.get("job_id").asText() : keyId;
        if (jobId == null || jobId.isBlank()) {
            jobId = fallbackJobId;
        }
        if (wrapped) {
            if (keyId != null && root.hasNonNull("job_id") && !keyId.equals(jobId)) {
                // answered under the record key: that is the id its sender follows
                return new Rejected(keyId, "INVALID_INPUT", "job_id", "job_id '" + jobId + "' differs from the record"
                        + " key '" + keyId + "': key the request by its job id (or leave the key out)");
            }
            for (java.util.Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!WRAPPER_KEYS.contains(name)) {
                    return new Rejected(jobId, "INVALID_INPUT", name, "request key '" + name + "': "
                            + org.pot4j.api.params.Parameters.unknownKeyHint(name, WRAPPER_KEYS));
                }
            }
        }
        JsonNode configNode = wrapped ? root.get("config") : root;
        if (!configNode.isObject()) {
            return new Rejected(jobId, "INVALID_INPUT", "config", "\"config\" must be a JSON object (the POT "
                    + "configuration), not " + configNode.getNodeType().name().toLowerCase());
        }
        if (!jobId.matches("[A-Za-z0-9._:@-]{1,200}")) {
            return new Rejected(jobId, "INVALID_INPUT", "job_id", "job id '" + jobId
                    + "' is not allowed: use 1-200 of A-Z a-z 0-9 . _ : @ -");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> config = JSON.convertValue(configNode, LinkedHashMap.class);
        String modelName = modelName(config);
        Path base = limits.defaultBase();
        Path output = limits.outputDirectory().resolve(jobId);
        try {
            if (wrapped && root.hasNonNull("base_dir")) {
                base = limits.defaultBase().resolve(root.get("base_dir").asText()).toAbsolutePath().normalize();
            }
            if (wrapped && root.hasNonNull("output_dir")) {
                String requested = root.get("output_dir").asText();
                if (ConfigPaths.inFolders(requested, limits.defaultBase(), limits.stateFolders())) {
                    return inState(jobId, "output_dir", requested, realPathNote(requested, limits.defaultBase()), limits);
                }
                Path requestedOutput = limits.defaultBase().resolve(requested).toAbsolutePath().normalize();
                if (modelName != null && ConfigPaths.inFolders(modelName, requestedOutput, limits.stateFolders())) {
                    return modelNameInState(jobId, modelName, requestedOutput, limits);
                }
                if (!ConfigPaths.within(requested, limits.defaultBase(), limits.allowedRoots())) {
                    return new Rejected(jobId, "PATH_NOT_ALLOWED", "output_dir", "output_dir '" + requested
                            + "'" + realPathNote(requested, limits.defaultBase()) + " is outside the allowed roots "
                            + limits.allowedRoots());
                }
                output = limits.defaultBase().resolve(requested).toAbsolutePath().normalize();
            }
        } catch (InvalidPathException e) {
            return new Rejected(jobId, "INVALID_INPUT", "base_dir", "not a path: " + e.getMessage());
        }
        List<ConfigPaths.Violation> inState = ConfigPaths.inside(config, base, limits.stateFolders());
        if (!inState.isEmpty()) {
            return inState(jobId, inState.get(0).field(), inState.get(0).value(),
                    realPathNote(inState.get(0).value(), base), limits);
        }
        if (modelName != null && ConfigPaths.inFolders(modelName, output, limits.stateFolders())) {
            return modelNameInState(jobId, modelName, output, limits);
        }
        List<ConfigPaths.Violation> outside = ConfigPaths.outside(config, base, limits.allowedRoots());
        if (!outside.isEmpty()) {
            Path configBase = base;
            return new Rejected(jobId, "PATH_NOT_ALLOWED", outside.get(0).field(), outside.stream()
                    .map(v -> v.field() + "='" + v.value() + "'" + realPathNote(v.value(), configBase))
                    .collect(Collectors.joining(", ")) + " outside the allowed roots " + limits.allowedRoots());
        }
        return new Parsed(jobId, config, base, output);
    }

    /** The request names the server's own state: REJECTED naming the field, whatever the allowed roots are. */
    private static Rejected inState(String jobId, String field, String value, String note, Limits limits) {
        return new Rejected(jobId, "PATH_NOT_ALLOWED", field, field + " '" + value + "'" + note
                + " is in the server's state folder "
                + (limits.stateFolders().size() == 1 ? limits.stateFolders().get(0) : limits.stateFolders())
                + " (its broker log, framework cache, statistics cache, logs), which requests may neither read nor"
                + " write; allowed: paths under " + limits.allowedRoots());
    }

    /** The job writes into output/<model_name>: checked before the roots, as the output folder is the model name's. */
    private static Rejected modelNameInState(String jobId, String modelName, Path output, Limits limits) {
        return inState(jobId, "model.model_name", modelName, " (output folder " + output.resolve(modelName) + ")",
                limits);
    }

    /** model.model_name, else the model file's name without extension (the output folder's name), or null. */
    private static String modelName(Map<String, Object> config) {
        if (!(config.get("model") instanceof Map<?, ?> model)) {
            return null;
        }
        if (model.get("model_name") instanceof String name && !name.isBlank()) {
            return name;
        }
        if (model.get("model") instanceof String path && !path.isBlank()) {
            String file = path.replace('\\', '/').substring(path.replace('\\', '/').lastIndexOf('/') + 1);
            int dot = file.lastIndexOf('.');
            return dot > 0 ? file.substring(0, dot) : file;
        }
        return null;
    }

    /** " (real path /etc/passwd)" when symlinks lead the value elsewhere than its text says, else "". */
    private static String realPathNote(String value, Path base) {
        Path real = ConfigPaths.realPath(value, base);
        Path text;
        try {
            text = base.resolve(value).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            return "";
        }
        return real == null || real.equals(text) ? "" : " (real path " + real + ")";
    }
}
