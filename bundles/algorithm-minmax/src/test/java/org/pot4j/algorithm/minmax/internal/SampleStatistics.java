package org.pot4j.algorithm.minmax.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;

/**
 * Statistics answered from per-sample values held in the test (per-tensor requests only), with
 * the plainest possible reducers and aggregators (full sorts, no selection tricks). Records
 * which requests were asked for.
 */
final class SampleStatistics implements Statistics {
    private final Map<String, List<float[]>> samples;
    final Set<StatisticRequest> asked = new LinkedHashSet<>();

    SampleStatistics(Map<String, List<float[]>> samples) {
        this.samples = samples;
    }

    @Override
    public float[] get(StatisticRequest request) {
        asked.add(request);
        List<float[]> values = samples.get(request.tensor());
        if (values == null) {
            throw new IllegalArgumentException("no samples for " + request.tensor());
        }
        double[] reduced = new double[values.size()];
        for (int i = 0; i < reduced.length; i++) {
            reduced[i] = reduce(values.get(i), request);
        }
        return new float[] {(float) aggregate(reduced, request)};
    }

    static double reduce(float[] v, StatisticRequest r) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return switch (r.reducer()) {
            case MIN -> Arrays.stream(d).min().orElseThrow();
            case MAX -> Arrays.stream(d).max().orElseThrow();
            case ABS_MAX -> Arrays.stream(d).map(Math::abs).max().orElseThrow();
            case MEAN -> Arrays.stream(d).average().orElseThrow();
            case QUANTILE -> quantile(d, r.quantile());
            case ABS_QUANTILE -> quantile(Arrays.stream(d).map(Math::abs).toArray(), r.quantile());
        };
    }

    static double aggregate(double[] s, StatisticRequest r) {
        return switch (r.aggregator()) {
            case MEAN -> Arrays.stream(s).average().orElseThrow();
            case MAX -> Arrays.stream(s).max().orElseThrow();
            case MIN -> Arrays.stream(s).min().orElseThrow();
            case MEDIAN -> quantile(s, 0.5);
            case MEAN_NO_OUTLIERS, MEDIAN_NO_OUTLIERS -> {
                double lo = quantile(s, r.outlierProb());
                double hi = quantile(s, 1 - r.outlierProb());
                double[] kept = Arrays.stream(s).filter(x -> x >= lo && x <= hi).toArray();
                yield r.aggregator() == org.pot4j.api.statistics.Aggregator.MEAN_NO_OUTLIERS
                        ? Arrays.stream(kept).average().orElseThrow() : quantile(kept, 0.5);
            }
            case HL_ESTIMATOR -> {
                List<Double> means = new ArrayList<>();
                for (int i = 0; i < s.length; i++) {
                    for (int j = i; j < s.length; j++) {
                        means.add((s[i] + s[j]) / 2);
                    }
                }
                yield quantile(means.stream().mapToDouble(Double::doubleValue).toArray(), 0.5);
            }
        };
    }

    static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    @Override
    public boolean contains(StatisticRequest request) {
        return samples.containsKey(request.tensor());
    }

    @Override
    public Set<StatisticRequest> requests() {
        return asked;
    }

    @Override
    public int samples() {
        return samples.values().iterator().next().size();
    }

    static Map<String, List<float[]>> random(long seed, int count, int size, Map<String, float[]> bounds) {
        java.util.Random random = new java.util.Random(seed);
        Map<String, List<float[]>> result = new LinkedHashMap<>();
        bounds.forEach((tensor, range) -> {
            List<float[]> list = new ArrayList<>();
            for (int s = 0; s < count; s++) {
                float[] v = new float[size];
                for (int i = 0; i < size; i++) {
                    v[i] = range[0] + (range[1] - range[0]) * random.nextFloat();
                }
                list.add(v);
            }
            result.put(tensor, list);
        });
        return result;
    }
}
