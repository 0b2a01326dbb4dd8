package org.pot4j.metric.similarity.internal;

import java.util.Arrays;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.metric.MetricAccumulator;
import org.pot4j.api.metric.MetricInput;

/** Compares each output with its FP32 reference; sums are kept in double. */
final class SimilarityAccumulator implements MetricAccumulator {
    private final SimilarityType type;
    private double[] perSample = new double[64];
    private int count;
    private double sumOfValues;
    private double signalEnergy;
    private double noiseEnergy;
    private long elements;

    SimilarityAccumulator(SimilarityType type) {
        this.type = type;
    }

    @Override
    public String name() {
        return "similarity_" + type.key;
    }

    @Override
    public void update(MetricInput input) {
        if (input.referenceOutput() == null) {
            throw new InvalidInputException("metrics." + name(), "sample " + input.sampleIndex() + " has no reference output",
                    "the FP32 model's output for every sample");
        }
        float[] out = input.output().toFloats();
        float[] ref = input.referenceOutput().toFloats();
        if (out.length != ref.length) {
            throw new InvalidInputException("metrics." + name(), "output " + Arrays.toString(input.output().shape())
                    + " vs reference " + Arrays.toString(input.referenceOutput().shape()) + " for sample " + input.sampleIndex(),
                    "outputs with as many elements as the FP32 model's");
        }
        double dot = 0;
        double outNorm = 0;
        double refNorm = 0;
        double noise = 0;
        for (int i = 0; i < out.length; i++) {
            double o = out[i];
            double r = ref[i];
            dot += o * r;
            outNorm += o * o;
            refNorm += r * r;
            noise += (r - o) * (r - o);
        }
        double value = switch (type) {
            case COSINE -> cosine(dot, outNorm, refNorm);
            case SQNR -> SimilarityType.sqnrDb(refNorm, noise);
            case MSE -> out.length == 0 ? 0 : noise / out.length;
        };
        if (count == perSample.length) {
            perSample = Arrays.copyOf(perSample, count * 2);
        }
        perSample[count++] = value;
        sumOfValues += value;
        signalEnergy += refNorm;
        noiseEnergy += noise;
        elements += out.length;
    }

    private static double cosine(double dot, double outNorm, double refNorm) {
        if (outNorm == 0 && refNorm == 0) {
            return 1;
        }
        if (outNorm == 0 || refNorm == 0) {
            return 0;
        }
        return dot / Math.sqrt(outNorm * refNorm);
    }

    @Override
    public double value() {
        if (count == 0) {
            return Double.NaN;
        }
        return switch (type) {
            case COSINE -> sumOfValues / count;
            case SQNR -> SimilarityType.sqnrDb(signalEnergy, noiseEnergy);
            case MSE -> elements == 0 ? 0 : noiseEnergy / elements;
        };
    }

    @Override
    public boolean higherIsBetter() {
        return type.higherIsBetter;
    }

    @Override
    public double[] perSampleValues() {
        return Arrays.copyOf(perSample, count);
    }
}
