package org.pot4j.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pot4j.testsupport.TestFiles;

/**
 * Issue 15 acceptance 2, through the distribution's {@code bin/pot quantize} (the real CLI flow): cnn_relu_outlier
 * without equalization. (1) DefaultQuantization's accuracy; (2) TPE layer tuning (POT's layer configuration) with
 * accuracy_loss 0.5 % and latency_reduce 1 (faster than FP32), stop_on_target: trials to target and wall time;
 * (3) TPE range-estimator tuning (POT's configuration, latency_weight 0): its best accuracy against (1).
 * Arguments: {@code --trials 100} (layer tuning), {@code --range-trials 40}, {@code --seconds 1} (latency
 * benchmark per model), {@code --latency-reduce 1.1} (the layer tuning's speed-up target), {@code --pot ../runtime/target/pot4j/bin/pot}. Evaluation on the full 10k test set with
 * {@code -Dpot4j.data}, else on the repository's 1000 images.
 */
public final class TuningBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final double MEAN = 72.93;
    private static final double STD = 90.015;

    private TuningBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>(Map.of("--trials", "100", "--range-trials", "40",
                "--seconds", "1", "--latency-reduce", "1.1", "--pot", "../runtime/target/pot4j/bin/pot"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!options.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown argument " + args[i] + "; known: " + options.keySet());
            }
            options.put(args[i], args[i + 1]);
        }
        Path pot = Path.of(options.get("--pot")).toAbsolutePath().normalize();
        if (!Files.isExecutable(pot)) {
            throw new IllegalStateException(pot + " is not there: build the distribution first (mvn install)");
        }
        Path work = Path.of("target/tuning").toAbsolutePath();
        Files.createDirectories(work);
        double seconds = Double.parseDouble(options.get("--seconds"));
        System.out.println("cnn_relu_outlier, no equalization, device CPU; evaluation on "
                + (TestFiles.fullDataGiven() ? "the 10k test set" : "the repository's 1000 test images")
                + "; latency benchmark " + seconds + " s per model");

        JsonNode fp32AndDefault = run(pot, work, "default", job(List.of(Map.of("name", "DefaultQuantization",
                "params", Map.of("preset", "performance", "stat_subset_size", 300,
                        // explicit: the subject is the model without equalization, whatever the default becomes
                        "cross_layer_equalization", false))), null));
        double fp32 = fp32AndDefault.get("fp32").get("metrics").get("accuracy").asDouble();
        double defaultAccuracy = fp32AndDefault.get("int8").get("metrics").get("accuracy").asDouble();
        System.out.printf(Locale.ROOT, "FP32 top-1 %.4f; DefaultQuantization %.4f (drop %.2f points)%n", fp32,
                defaultAccuracy, 100 * (fp32 - defaultAccuracy));

        // "faster than FP32" as a target needs a margin over the timing noise: all layers float (the FP32 model
        // itself) measures 1 +- a few percent on a shared machine
        double latencyReduce = Double.parseDouble(options.get("--latency-reduce"));
        Map<String, Object> layer = tpe(Integer.parseInt(options.get("--trials")), 0.5, latencyReduce, 1.0, seconds);
        layer.put("stop_on_target", true);
        long start = System.nanoTime();
        JsonNode layerReport = run(pot, work, "layer", job(potAlgorithms(Map.of("tuning_scope", List.of("layer"))),
                layer));
        double wall = (System.nanoTime() - start) / 1e9;
        JsonNode tpe = layerReport.get("tpe");
        System.out.printf(Locale.ROOT, "layer tuning (accuracy_loss 0.5 %%, latency_reduce %.2f): trials to target %s"
                        + " of %d run, wall time %.1f s (tuning %.1f s); chosen model top-1 %.4f (drop %.2f %% relative),"
                        + " latency ratio INT8/FP32 of the best trial %s, %d of %d layers kept float%n",
                latencyReduce, tpe.get("trials_to_target").isNull() ? "not reached" : tpe.get("trials_to_target").asText(),
                tpe.get("trials_run").asInt(), wall, tpe.get("seconds").asDouble(),
                layerReport.get("int8").get("metrics").get("accuracy").asDouble(),
                100 * (fp32 - layerReport.get("int8").get("metrics").get("accuracy").asDouble()) / fp32,
                tpe.get("best_latency_ratio").asText(), floatLayers(layerReport.get("chosen")),
                layerReport.get("search_space").size());

        Map<String, Object> range = tpe(Integer.parseInt(options.get("--range-trials")), 0.1, 1.5, 0.0, seconds);
        start = System.nanoTime();
        JsonNode rangeReport = run(pot, work, "range", job(potAlgorithms(Map.of("tuning_scope",
                List.of("range_estimator"), "estimator_tuning_scope", List.of("preset", "outlier_prob"),
                "outlier_prob_choices", List.of(1e-3, 1e-4, 1e-5))), range));
        double rangeAccuracy = rangeReport.get("int8").get("metrics").get("accuracy").asDouble();
        System.out.printf(Locale.ROOT, "range-estimator tuning (%d trials, latency_weight 0): top-1 %.4f vs"
                        + " DefaultQuantization %.4f (%+.2f points), wall time %.1f s%n",
                rangeReport.get("tpe").get("trials_run").asInt(), rangeAccuracy, defaultAccuracy,
                100 * (rangeAccuracy - defaultAccuracy), (System.nanoTime() - start) / 1e9);
    }

    private static int floatLayers(JsonNode chosen) {
        int count = 0;
        for (JsonNode choice : chosen) {
            count += choice.asText().equals("float") ? 1 : 0;
        }
        return count;
    }

    /** POT's TPE algorithm list: ActivationChannelAlignment, TunableQuantization, FastBiasCorrection. */
    private static List<Map<String, Object>> potAlgorithms(Map<String, Object> tunable) {
        Map<String, Object> params = new LinkedHashMap<>(Map.of("stat_subset_size", 300, "preset", "performance"));
        params.putAll(tunable);
        return List.of(Map.of("name", "ActivationChannelAlignment", "params", Map.of("stat_subset_size", 300)),
                Map.of("name", "TunableQuantization", "params", params),
                Map.of("name", "FastBiasCorrection", "params", Map.of("stat_subset_size", 300)));
    }

    private static Map<String, Object> tpe(int trials, double accuracyLoss, double latencyReduce, double latencyWeight,
                                           double seconds) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("max_trials", trials);
        params.put("trials_load_method", "cold_start");
        params.put("accuracy_loss", accuracyLoss);
        params.put("latency_reduce", latencyReduce);
        params.put("accuracy_weight", 1.0);
        params.put("latency_weight", latencyWeight);
        params.put("benchmark", Map.of("batch_size", 1, "nthreads", 1, "duration_seconds", seconds));
        return params;
    }

    private static Map<String, Object> job(List<Map<String, Object>> algorithms, Map<String, Object> tpe) {
        List<Map<String, Object>> preprocessing = List.of(Map.of("type", "normalization", "mean", MEAN, "std", STD));
        Path images = TestFiles.fullDataGiven() ? TestFiles.fullData("t10k-images-idx3-ubyte.gz") : TestFiles.testImages();
        Path labels = TestFiles.fullDataGiven() ? TestFiles.fullData("t10k-labels-idx1-ubyte.gz") : TestFiles.testLabels();
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("model", Map.of("model_name", "cnn_relu_outlier", "model",
                TestFiles.model("cnn_relu_outlier").toString()));
        job.put("engine", Map.of("type", "accuracy_checker",
                "dataset", Map.of("loader", "idx", "images", images.toString(), "labels", labels.toString(),
                        "preprocessing", preprocessing),
                "calibration_dataset", Map.of("loader", "idx", "images", TestFiles.calibrationImages().toString(),
                        "preprocessing", preprocessing),
                "metrics", List.of(Map.of("name", "accuracy", "top_k", 1))));
        job.put("compression", Map.of("target_device", "CPU", "algorithms", algorithms));
        if (tpe != null) {
            job.put("optimizer", Map.of("name", "Tpe", "params", tpe));
        }
        return job;
    }

    private static JsonNode run(Path pot, Path work, String name, Map<String, Object> job)
            throws IOException, InterruptedException {
        Path file = work.resolve(name + ".json");
        JSON.writeValue(file.toFile(), job);
        Path output = work.resolve("out-" + name);
        List<String> command = new ArrayList<>(List.of(pot.toString(), "quantize", "-c", file.toString(), "-o",
                output.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".log").toFile()).start();
        int exit = process.waitFor();
        if (exit != 0) {
            throw new IllegalStateException("bin/pot quantize -c " + file + " exited " + exit + "; see "
                    + work.resolve(name + ".log"));
        }
        return JSON.readTree(output.resolve("cnn_relu_outlier/report.json").toFile());
    }
}
