package org.pot4j.metric.similarity.internal;

import java.util.Arrays;
import java.util.Map;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.metric.MetricAccumulator;
import org.pot4j.api.metric.MetricInput;
import org.pot4j.api.tensor.Tensor;

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

    /**
     * Compares every output with the FP32 model's output of the same name: the sample's cosine is the mean of the
     * outputs' cosines (so a small output counts as much as a large one); sqnr and mse pool the elements of all
     * outputs.
     */
    @Override
    public void update(MetricInput input) {
        if (input.referenceOutputs() == null) {
            throw new InvalidInputException("metrics." + name(), "sample " + input.sampleIndex() + " has no reference output",
                    "the FP32 model's output for every sample");
        }
        double cosineSum = 0;
        double sampleSignal = 0;
        double sampleNoise = 0;
        long sampleElements = 0;
        for (Map.Entry<String, Tensor> entry : input.outputs().entrySet()) {
            Tensor output = entry.getValue();
            Tensor reference = input.referenceOutputs().get(entry.getKey());
            if (reference == null) {
                throw new InvalidInputException("metrics." + name(), "sample " + input.sampleIndex() + ": output '"
                        + entry.getKey() + "' has no FP32 reference (reference outputs: "
                        + input.referenceOutputs().keySet() + ")", "the quantized model's outputs named as the FP32 model's");
            }
            float[] out = output.toFloats();
            float[] ref = reference.toFloats();
            if (out.length != ref.length) {
                throw new InvalidInputException("metrics." + name(), "output '" + entry.getKey() + "' "
                        + Arrays.toString(output.shape()) + " vs reference " + Arrays.toString(reference.shape())
                        + " for sample " + input.sampleIndex(), "outputs with as many elements as the FP32 model's");
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
            cosineSum += cosine(dot, outNorm, refNorm);
            sampleSignal += refNorm;
            sampleNoise += noise;
            sampleElements += out.length;
        }
        double value = switch (type) {
            case COSINE -> cosineSum / input.outputs().size();
            case SQNR -> SimilarityType.sqnrDb(sampleSignal, sampleNoise);
            case MSE -> sampleElements == 0 ? 0 : sampleNoise / sampleElements;
        };
        if (count == perSample.length) {
            perSample = Arrays.copyOf(perSample, count * 2);
        }
        perSample[count++] = value;
        sumOfValues += value;
        signalEnergy += sampleSignal;
        noiseEnergy += sampleNoise;
        elements += sampleElements;
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
