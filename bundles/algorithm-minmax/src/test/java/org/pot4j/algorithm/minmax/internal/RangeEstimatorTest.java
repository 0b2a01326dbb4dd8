package org.pot4j.algorithm.minmax.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pot4j.api.plan.Quantizer;

/**
 * Each range-estimator type and aggregator gives the range computed here independently: from
 * the fixture's per-sample values with plain loops and full sorts.
 */
class RangeEstimatorTest {

    private static List<float[]> samples(String tensor) {
        LinkedHashMap<String, float[]> b = new LinkedHashMap<>();
        b.put("x", new float[] {-1.5f, 2.5f});
        b.put("r1", new float[] {0f, 4f});
        b.put("c2", new float[] {-3f, 1f});
        b.put("c3", new float[] {-1f, 6f});
        b.put("f", new float[] {-2f, 5f});
        b.put("g", new float[] {-4f, 3f});
        return SampleStatistics.random(11, Fixture.SAMPLES, 64, b).get(tensor);
    }

    private static double sortedQuantile(double[] values, double q) {
        double[] s = values.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
    }

    private static double perSample(float[] v, String type, double q) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = type.startsWith("abs") ? Math.abs(v[i]) : v[i];
        switch (type) {
            case "min": return Arrays.stream(d).min().getAsDouble();
            case "max": case "abs_max": return Arrays.stream(d).max().getAsDouble();
            default: return sortedQuantile(d, q);
        }
    }

    private static double across(double[] s, String aggregator, double outlierProb) {
        switch (aggregator) {
            case "mean": return Arrays.stream(s).average().getAsDouble();
            case "max": return Arrays.stream(s).max().getAsDouble();
            case "min": return Arrays.stream(s).min().getAsDouble();
            case "median": return sortedQuantile(s, 0.5);
            case "hl_estimator": {
                double[] walsh = new double[s.length * (s.length + 1) / 2];
                int k = 0;
                for (int i = 0; i < s.length; i++) for (int j = i; j < s.length; j++) walsh[k++] = (s[i] + s[j]) / 2;
                return sortedQuantile(walsh, 0.5);
            }
            default: {
                double lo = sortedQuantile(s, outlierProb);
                double hi = sortedQuantile(s, 1 - outlierProb);
                double[] kept = Arrays.stream(s).filter(v -> v >= lo && v <= hi).toArray();
                return aggregator.equals("mean_no_outliers") ? Arrays.stream(kept).average().getAsDouble()
                        : sortedQuantile(kept, 0.5);
            }
        }
    }

    private static double expected(String tensor, String type, String aggregator, double q, double outlierProb) {
        List<float[]> list = samples(tensor);
        double[] s = new double[list.size()];
        for (int i = 0; i < s.length; i++) s[i] = perSample(list.get(i), type, q);
        return across(s, aggregator, outlierProb);
    }

    @ParameterizedTest(name = "max: {0} / {1}")
    @CsvSource({"max,mean", "max,max", "max,min", "max,median", "max,mean_no_outliers", "max,median_no_outliers",
            "max,hl_estimator", "abs_max,mean", "abs_max,median", "quantile,mean", "abs_quantile,max", "min,mean"})
    void eachMaxEstimatorOnAsymmetricActivations(String type, String aggregator) {
        Map<String, Object> max = Map.of("type", type, "aggregator", aggregator, "outlier_prob", 0.05);
        Quantizer x = Fixture.activation(Fixture.plan(Fixture.cpu(true), Map.of("preset", "mixed",
                "activations", Map.of("range_estimator", Map.of("max", max)))), "conv1", 0);
        double q = type.equals("quantile") || type.equals("abs_quantile") ? 0.95 : 0;
        assertEquals(expected("x", type, aggregator, q, 0.05), x.max()[0], 1e-5, type + "/" + aggregator);
        assertEquals(expected("x", "min", "mean", 0, 0), x.min()[0], 1e-5, "min keeps its default");
    }

    @ParameterizedTest(name = "min: {0} / {1}")
    @CsvSource({"min,mean", "min,min", "min,median", "quantile,mean", "quantile,median_no_outliers", "min,hl_estimator"})
    void eachMinEstimatorOnAsymmetricActivations(String type, String aggregator) {
        Map<String, Object> min = Map.of("type", type, "aggregator", aggregator, "outlier_prob", 0.1);
        Quantizer x = Fixture.activation(Fixture.plan(Fixture.cpu(true), Map.of("preset", "mixed",
                "activations", Map.of("range_estimator", Map.of("min", min)))), "conv1", 0);
        double q = type.equals("quantile") ? 0.1 : 0;
        assertEquals(expected("x", type, aggregator, q, 0.1), x.min()[0], 1e-5);
    }

    @Test
    void quantilePresetUsesOutlierProbOneInTenThousand() {
        Quantizer sym = Fixture.activation(Fixture.plan(Fixture.cpu(true),
                Map.of("activations", Map.of("range_estimator", Map.of("preset", "quantile")))), "conv1", 0);
        assertEquals(expected("x", "abs_quantile", "mean", 1 - 1e-4, 0), sym.max()[0], 1e-5);
        assertTrue(sym.max()[0] < expected("x", "abs_max", "mean", 0, 0));
        Quantizer asym = Fixture.activation(Fixture.plan(Fixture.cpu(true), Map.of("preset", "mixed",
                "activations", Map.of("range_estimator", Map.of("preset", "quantile")))), "conv1", 0);
        assertEquals(expected("x", "quantile", "mean", 1e-4, 0), asym.min()[0], 1e-5);
        assertEquals(expected("x", "quantile", "mean", 1 - 1e-4, 0), asym.max()[0], 1e-5);
    }

    @Test
    void symmetricSignUsesTheGlobalMinimum() {
        // c2 lives in [-3, 1]: signed; r1 in [0, 4]: unsigned; the sign check is min over samples of per-sample min
        Quantizer c2 = Fixture.activation(Fixture.plan(Fixture.cpu(true), Map.of()), "add", 0);
        assertTrue(c2.signed());
        assertEquals(expected("c2", "abs_max", "mean", 0, 0), c2.max()[0], 1e-5);
    }

    @Test
    void clippingValueBoundsTheEstimate() {
        Quantizer x = Fixture.activation(Fixture.plan(Fixture.cpu(true), Map.of("preset", "mixed",
                "activations", Map.of("range_estimator", Map.of("max", Map.of("clipping_value", 1.0),
                        "min", Map.of("clipping_value", -0.5))))), "conv1", 0);
        assertEquals(1.0f, x.max()[0]);
        assertEquals(-0.5f, x.min()[0]);
        Quantizer sym = Fixture.activation(Fixture.plan(Fixture.cpu(true), Map.of(
                "activations", Map.of("range_estimator", Map.of("max", Map.of("clipping_value", 0.75))))), "conv1", 0);
        assertEquals(0.75f, sym.max()[0]);
        assertEquals(-0.75f, sym.min()[0]);
    }

    @Test
    void weightEstimatorsWorkOnTheWeightsThemselves() {
        float[] w = Fixture.graph().initializers().get("W1").floats();
        double[] channel0 = new double[18];
        for (int i = 0; i < 18; i++) channel0[i] = Math.abs(w[i]);
        Quantizer q = Fixture.weight(Fixture.plan(Fixture.cpu(true), Map.of("weights", Map.of("range_estimator",
                Map.of("max", Map.of("type", "abs_quantile", "outlier_prob", 0.2))))), "conv1");
        assertEquals(sortedQuantile(channel0, 0.8), q.max()[0], 1e-6);
        assertEquals(-q.max()[0], q.min()[0]);
    }
}
