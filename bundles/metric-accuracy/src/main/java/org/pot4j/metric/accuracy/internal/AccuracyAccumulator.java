package org.pot4j.metric.accuracy.internal;

import java.util.Arrays;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.metric.MetricAccumulator;
import org.pot4j.api.metric.MetricInput;

/**
 * Counts samples whose label is among the top k scores. Ties rank the lower class index first,
 * as numpy's argmax does; a NaN score for the label is never correct.
 */
final class AccuracyAccumulator implements MetricAccumulator {
    private final int topK;
    private final String topKField;
    private double[] perSample = new double[64];
    private int count;
    private int correct;

    AccuracyAccumulator(int topK, String topKField) {
        this.topK = topK;
        this.topKField = topKField;
    }

    @Override
    public String name() {
        return topK == 1 ? "accuracy" : "accuracy@top" + topK;
    }

    @Override
    public void update(MetricInput input) {
        if (input.label() == null) {
            throw new InvalidInputException("metrics.accuracy", "sample " + input.sampleIndex() + (input.annotation() == null
                    ? " has no label" : " is annotated with a " + input.annotation().describe() + ", not a class label"),
                    "an annotated dataset (labels); for annotation-free evaluation use the similarity metric");
        }
        float[] scores = input.output().toFloats();
        int classes = scores.length;
        if (input.output().rank() > 2 || (input.output().rank() == 2 && input.output().dim(0) != 1)) {
            throw new InvalidInputException("metrics.accuracy", "output shape " + Arrays.toString(input.output().shape()),
                    "class scores of shape [1, num_classes] or [num_classes]");
        }
        int label = input.label();
        if (label < 0 || label >= classes) {
            // the metric sees neither the dataset's configuration nor its files: name the sample and where to look
            throw new InvalidInputException("label of sample " + input.sampleIndex() + " of the evaluation dataset", label,
                    "a class index in 0.." + (classes - 1) + " (the model outputs " + classes + " scores); check the"
                            + " dataset's labels (engine.dataset: its labels file, or its class folders) against the"
                            + " model's classes");
        }
        if (topK > classes) {
            throw new InvalidInputException(topKField, topK, "at most the number of classes (" + classes + ")");
        }
        boolean hit = rankOf(scores, label) < topK;
        if (count == perSample.length) {
            perSample = Arrays.copyOf(perSample, count * 2);
        }
        perSample[count++] = hit ? 1 : 0;
        if (hit) {
            correct++;
        }
    }

    /** 0-based rank of the label's score: how many classes come before it. */
    private static int rankOf(float[] scores, int label) {
        float target = scores[label];
        if (Float.isNaN(target)) {
            return Integer.MAX_VALUE;
        }
        int rank = 0;
        for (int j = 0; j < scores.length; j++) {
            if (scores[j] > target || (scores[j] == target && j < label)) {
                rank++;
            }
        }
        return rank;
    }

    @Override
    public double value() {
        return count == 0 ? Double.NaN : (double) correct / count;
    }

    @Override
    public boolean higherIsBetter() {
        return true;
    }

    @Override
    public double[] perSampleValues() {
        return Arrays.copyOf(perSample, count);
    }
}
