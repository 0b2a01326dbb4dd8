package org.pot4j.orchestrator.internal.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.params.Parameters;

/**
 * Reads POT's JSON configuration (comments allowed) into a {@link JobConfig}. Every problem is an
 * {@link InvalidInputException} naming the JSON path, the value and what is allowed; unknown keys
 * get the nearest valid name.
 */
public final class JobConfigParser {

    static final Set<String> TOP_KEYS = Set.of("model", "engine", "compression", "optimizer");
    static final Set<String> MODEL_KEYS = Set.of("model_name", "model", "weights");
    static final Set<String> ENGINE_KEYS = Set.of("type", "dataset", "calibration_dataset", "metrics", "data_source",
            "layout", "color", "preprocessing", "stat_requests_number", "eval_requests_number", "batch_size",
            "constant_inputs", "recurrent_inputs");
    static final Set<String> COMPRESSION_KEYS = Set.of("target_device", "model_type", "inplace_statistics",
            "dump_intermediate_model", "algorithms");
    static final List<String> ENGINE_TYPES = List.of("accuracy_checker", "simplified", "data_free");

    private JobConfigParser() {
    }

    /** Validates the structure; relative paths resolve against {@code baseDirectory}. */
    public static JobConfig parse(Map<String, Object> raw, Path baseDirectory) {
        Parameters root = new Parameters(raw, "", baseDirectory);
        checkKeys(root, TOP_KEYS);
        Parameters model = root.object("model");
        checkKeys(model, MODEL_KEYS);
        Path modelPath = model.path("model");
        String modelName = model.string("model_name", stripExtension(modelPath.getFileName().toString()));
        checkModelName(model.pathOf("model_name"), modelName);

        Parameters engine = root.optionalObject("engine").orElse(Parameters.empty("engine"));
        checkKeys(engine, ENGINE_KEYS);
        String defaultType = !root.has("engine") ? "data_free" : engine.has("data_source") ? "simplified" : "accuracy_checker";
        String engineType = engine.string("type", defaultType);
        if (!ENGINE_TYPES.contains(engineType)) {
            throw new InvalidInputException(engine.pathOf("type"), engineType, "allowed: " + String.join(", ", ENGINE_TYPES)
                    + Parameters.nearest(engineType, ENGINE_TYPES).map(s -> " (did you mean '" + s + "'?)").orElse(""));
        }
        int statisticsRequests = requestsNumber(engine, "stat_requests_number", "a statistics pass");
        int evaluationRequests = requestsNumber(engine, "eval_requests_number", "an evaluation");
        Integer batchSize = batchSize(engine);
        Map<String, Object> constantInputs = constantInputs(engine);
        JobConfig.DatasetConfig dataset = null;
        JobConfig.DatasetConfig calibration = null;
        List<JobConfig.NamedBlock> metrics = new ArrayList<>();
        switch (engineType) {
            case "simplified" -> {
                for (String key : List.of("dataset", "calibration_dataset", "metrics")) {
                    if (engine.has(key)) {
                        throw new InvalidInputException(engine.pathOf(key), "present",
                                "engine.type simplified takes data_source (a folder of images) and no " + key);
                    }
                }
                Map<String, Object> images = new LinkedHashMap<>();
                images.put("data_source", engine.string("data_source"));
                // beyond POT: color (RGB, BGR, GRAYSCALE) for models that do not take 3-channel images
                for (String key : List.of("layout", "color")) {
                    if (engine.has(key)) {
                        images.put(key, engine.string(key));
                    }
                }
                if (engine.has("preprocessing")) {
                    images.put("preprocessing", engine.list("preprocessing"));
                }
                dataset = new JobConfig.DatasetConfig("images", new Parameters(images, "engine", baseDirectory), "engine");
            }
            case "accuracy_checker" -> {
                dataset = datasetBlock(engine, "dataset");
                if (engine.has("calibration_dataset")) {
                    calibration = datasetBlock(engine, "calibration_dataset");
                }
                for (Parameters metric : engine.objectList("metrics")) {
                    metrics.add(namedBlock(metric, "name", null));
                }
            }
            default -> {
                // data_free: only algorithms that need no data (CrossLayerEqualization); data given here would be ignored
                for (String key : List.of("dataset", "calibration_dataset", "data_source", "metrics", "constant_inputs")) {
                    if (engine.has(key)) {
                        throw new InvalidInputException(engine.pathOf(key), "present", "engine.type data_free takes no"
                                + " data; with data, use accuracy_checker (dataset, calibration_dataset, metrics) or"
                                + " simplified (data_source)");
                    }
                }
            }
        }

        Parameters compression = root.optionalObject("compression").orElse(Parameters.empty("compression"));
        checkKeys(compression, COMPRESSION_KEYS);
        String device = compression.string("target_device", "ANY").toUpperCase();
        String modelType = compression.string("model_type", null);
        if (modelType != null && !modelType.equals("transformer")) {
            throw new InvalidInputException(compression.pathOf("model_type"), modelType, "allowed: transformer (or null)");
        }
        List<JobConfig.NamedBlock> algorithms = new ArrayList<>();
        for (Parameters algorithm : compression.objectList("algorithms")) {
            algorithms.add(namedBlock(algorithm, "name", "params"));
        }
        // the optimizer's name is checked against the live optimizers when the job is assembled
        JobConfig.NamedBlock optimizer = root.has("optimizer") ? namedBlock(root.object("optimizer"), "name", "params")
                : null;
        return new JobConfig(modelName, modelPath, engineType, dataset, calibration, List.copyOf(metrics), device,
                modelType, List.copyOf(algorithms), statisticsRequests, evaluationRequests, batchSize, constantInputs,
                optimizer, raw);
    }

    /**
     * The longest model_name in UTF-8 bytes: file systems allow 255 bytes per file name, and the name's longest file is
     * the atomic writer's temporary {@code .<name>.onnx<up to 20 digits>.part} beside {@code optimized/<name>.onnx}.
     */
    static final int MAX_MODEL_NAME_BYTES = 255 - ".".length() - ".onnx".length() - 20 - ".part".length();

    /**
     * model_name names the output folder and file, so it must be a name every file system takes, checked before the
     * job runs: no '/' or NUL (the character set excludes them), not "." or "..", not longer than a file name may be.
     */
    private static void checkModelName(String field, String modelName) {
        if (!modelName.matches("[A-Za-z0-9._-]+") || modelName.equals(".") || modelName.equals("..")) {
            throw new InvalidInputException(field, modelName,
                    "letters, digits, '.', '_' and '-' only, not \".\" or \"..\" (it names the output folder)");
        }
        int bytes = modelName.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > MAX_MODEL_NAME_BYTES) {
            throw new InvalidInputException(field, modelName.substring(0, 40) + "... (" + bytes + " bytes)",
                    "at most " + MAX_MODEL_NAME_BYTES + " bytes (UTF-8): it names the output folder and the file "
                    + "<model_name>.onnx, and file systems allow 255 bytes per file name");
        }
    }

    /** POT's stat_requests_number / eval_requests_number: 1 unless set, else an integer from 1 to 64. */
    private static int requestsNumber(Parameters engine, String key, String what) {
        if (!engine.has(key)) {
            return 1;
        }
        Object value = engine.raw(key);
        if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())
                || number.doubleValue() < 1 || number.doubleValue() > 64) {
            throw new InvalidInputException(engine.pathOf(key), value,
                    "an integer from 1 to 64: parallel inference requests (sessions) of " + what);
        }
        return number.intValue();
    }

    /** The largest engine.batch_size: samples of one inference call (the batch tensor is built in memory). */
    public static final int MAX_BATCH_SIZE = 1024;

    /**
     * engine.batch_size: samples per inference call in this job's evaluations and statistics passes, replacing the
     * job service's batch_size; 1 to {@value #MAX_BATCH_SIZE} (a model with a fixed batch dimension bounds it further,
     * checked once the model is read). Null when unset. It was accepted and silently ignored.
     */
    private static Integer batchSize(Parameters engine) {
        if (!engine.has("batch_size")) {
            return null;
        }
        Object value = engine.raw("batch_size");
        if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())
                || number.doubleValue() < 1 || number.doubleValue() > MAX_BATCH_SIZE) {
            throw new InvalidInputException(engine.pathOf("batch_size"), value, "an integer from 1 to " + MAX_BATCH_SIZE
                    + ": samples per inference call in evaluations and statistics passes (unset: the job service's"
                    + " batch_size)");
        }
        return number.intValue();
    }

    /**
     * engine.constant_inputs: model inputs fed the same value in every run (checked against the model's inputs once it
     * is read). engine.recurrent_inputs is named only to be refused: state fed back between samples is not supported.
     */
    private static Map<String, Object> constantInputs(Parameters engine) {
        if (engine.has("recurrent_inputs")) {
            throw new InvalidInputException(engine.pathOf("recurrent_inputs"), engine.raw("recurrent_inputs"),
                    "nothing: recurrent state fed back from one sample's outputs to the next sample's inputs is not"
                    + " supported; give the initial state in engine.constant_inputs (e.g. {\"h\": 0}) or each sample's"
                    + " state as data");
        }
        if (!engine.has("constant_inputs")) {
            return Map.of();
        }
        if (!(engine.raw("constant_inputs") instanceof Map<?, ?> map)) {
            throw new InvalidInputException(engine.pathOf("constant_inputs"), engine.raw("constant_inputs"),
                    "an object of model input name to a number or nested list, e.g. {\"sr\": 16000}");
        }
        Map<String, Object> constants = new LinkedHashMap<>();
        map.forEach((key, value) -> constants.put(String.valueOf(key), value));
        return java.util.Collections.unmodifiableMap(constants);
    }

    private static JobConfig.DatasetConfig datasetBlock(Parameters engine, String key) {
        Parameters block = engine.object(key);
        String loader = block.string("loader");
        Map<String, Object> rest = new LinkedHashMap<>(block.asMap());
        rest.remove("loader");
        return new JobConfig.DatasetConfig(loader, new Parameters(rest, block.path(), block.baseDirectory()), block.path());
    }

    /** {"name": X, ...params} or, with {@code paramsKey}, {"name": X, "params": {...}}. */
    private static JobConfig.NamedBlock namedBlock(Parameters block, String nameKey, String paramsKey) {
        String name = block.string(nameKey);
        if (paramsKey == null) {
            Map<String, Object> rest = new LinkedHashMap<>(block.asMap());
            rest.remove(nameKey);
            return new JobConfig.NamedBlock(name, new Parameters(rest, block.path(), block.baseDirectory()), block.path());
        }
        checkKeys(block, Set.of(nameKey, paramsKey));
        Parameters params = block.optionalObject(paramsKey)
                .orElse(new Parameters(Map.of(), block.pathOf(paramsKey), block.baseDirectory()));
        return new JobConfig.NamedBlock(name, params, block.path());
    }

    private static void checkKeys(Parameters block, Set<String> allowed) {
        List<String> sorted = allowed.stream().sorted().toList();
        for (String key : block.keys()) {
            if (!allowed.contains(key)) {
                throw new InvalidInputException(block.pathOf(key), key, Parameters.unknownKeyHint(key, sorted));
            }
        }
    }

    private static String stripExtension(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(0, dot) : fileName;
    }
}
