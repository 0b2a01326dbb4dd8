package org.pot4j.cli.internal;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pot4j.api.backend.InferenceBackend;
import org.pot4j.api.backend.InferenceSession;
import org.pot4j.api.backend.SessionOptions;
import org.pot4j.api.tensor.Tensor;

/**
 * Several models benchmarked alternately in one process ({@code pot benchmark -m FP32.onnx -m INT8.onnx}): each
 * round runs every model once (the order reversed every other round), so that load on the machine falls on all
 * of them alike; the ratio of each model to the first is taken per round, and its median and min–max over rounds
 * say how far to trust it.
 */
final class BenchmarkComparison {

    /** One model's figures: the median latency of each round, and its ratio to the first model's in that round. */
    record Figures(Path model, double[] roundMedianMs, double[] ratioToFirst, double samplesPerSecond) {
        double medianMs() {
            return median(roundMedianMs);
        }

        double ratio() {
            return median(ratioToFirst);
        }
    }

    private BenchmarkComparison() {
    }

    /** Opens every model once, then runs {@code rounds} rounds of {@code secondsPerRun} per model. */
    static List<Figures> run(InferenceBackend backend, List<byte[]> models, List<Path> paths,
                             List<Map<String, Tensor>> inputs, SessionOptions options, int rounds, int iterations,
                             double secondsPerRun) throws Exception {
        int n = models.size();
        List<InferenceSession> sessions = new ArrayList<>();
        try {
            for (byte[] model : models) {
                sessions.add(backend.open(model, options));
            }
            double[][] medians = new double[n][rounds];
            double[] throughput = new double[n];
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < n; k++) {
                    int m = round % 2 == 0 ? k : n - 1 - k;
                    var result = sessions.get(m).benchmark(inputs.get(m), round == 0 ? 10 : 2, iterations, secondsPerRun);
                    medians[m][round] = result.medianMs();
                    throughput[m] += result.samplesPerSecond() / rounds;
                }
            }
            List<Figures> figures = new ArrayList<>();
            for (int m = 0; m < n; m++) {
                double[] ratio = new double[rounds];
                for (int round = 0; round < rounds; round++) {
                    ratio[round] = medians[m][round] / medians[0][round];
                }
                figures.add(new Figures(paths.get(m), medians[m], ratio, throughput[m]));
            }
            return figures;
        } finally {
            for (InferenceSession session : sessions) {
                session.close();
            }
        }
    }

    static void print(List<Figures> figures, String backend, int batch, int rounds, PrintStream out) {
        out.printf(Locale.ROOT, "backend %s, batch %d, %d alternated rounds; ratio = latency / %s's, per round%n",
                backend, batch, rounds, figures.get(0).model().getFileName());
        for (Figures f : figures) {
            out.printf(Locale.ROOT, "%s: median %.3f ms (rounds %.3f-%.3f), %.1f samples/s, ratio %.2f (%.2f-%.2f)%n",
                    f.model(), f.medianMs(), min(f.roundMedianMs()), max(f.roundMedianMs()), f.samplesPerSecond(),
                    f.ratio(), min(f.ratioToFirst()), max(f.ratioToFirst()));
        }
    }

    static List<Map<String, Object>> json(List<Figures> figures) {
        List<Map<String, Object>> result = new ArrayList<>();
        for (Figures f : figures) {
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("model", f.model().toString());
            model.put("median_ms", f.medianMs());
            model.put("round_median_ms", f.roundMedianMs());
            model.put("samples_per_second", f.samplesPerSecond());
            model.put("ratio_to_first", f.ratio());
            model.put("ratio_min", min(f.ratioToFirst()));
            model.put("ratio_max", max(f.ratioToFirst()));
            result.add(model);
        }
        return result;
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }
}
