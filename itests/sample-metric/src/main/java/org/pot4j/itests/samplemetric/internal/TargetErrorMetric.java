package org.pot4j.itests.samplemetric.internal;

import java.util.Arrays;
import java.util.List;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.data.Annotation;
import org.pot4j.api.metric.Metric;
import org.pot4j.api.metric.MetricAccumulator;
import org.pot4j.api.metric.MetricInput;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.params.ParameterType;
import org.pot4j.api.params.Parameters;
import org.pot4j.api.tensor.Tensor;

/**
 * {@code target_error}: the mean absolute difference between one model output and the sample's annotation, a tensor
 * of the output's size (a regression target: the npy loader's {@code annotations} .npy). Lower is better, so
 * AccuracyAwareQuantization reverts layers while it grows by more than {@code maximal_drop}.
 */
@Component(service = Metric.class, property = Metric.PROPERTY + "=target_error")
public final class TargetErrorMetric implements Metric {
    static final String OUTPUT = "output";

    private static final List<ParameterDescriptor> PARAMETERS = List.of(
            ParameterDescriptor.optional(OUTPUT, ParameterType.STRING, null,
                    "the model output compared with the annotation (default: the first)"));

    @Override
    public List<ParameterDescriptor> parameters() {
        return PARAMETERS;
    }

    @Override
    public boolean requiresAnnotation() {
        return true;
    }

    @Override
    public boolean requiresReference() {
        return false;
    }

    @Override
    public MetricAccumulator create(Parameters parameters) {
        Parameters p = parameters.validate(PARAMETERS);
        return new Accumulator(p.string(OUTPUT, null), p.pathOf(OUTPUT));
    }

    private static final class Accumulator implements MetricAccumulator {
        private final String output;
        private final String field;
        private double[] perSample = new double[64];
        private int count;
        private double sum;

        Accumulator(String output, String field) {
            this.output = output;
            this.field = field;
        }

        @Override
        public String name() {
            return "target_error";
        }

        @Override
        public void update(MetricInput input) {
            // the annotation is whatever the loader produced: take the kind this metric understands, name the others
            if (!(input.annotation() instanceof Annotation.TensorValue target)) {
                throw new InvalidInputException("metrics.target_error", "sample " + input.sampleIndex() + " has "
                        + (input.annotation() == null ? "no annotation" : "a " + input.annotation().describe()),
                        "a tensor annotation per sample (the npy loader's annotations .npy)");
            }
            Tensor predicted = output == null ? input.output() : input.outputs().get(output);
            if (predicted == null) {
                throw new InvalidInputException(field, output, "a model output: " + input.outputs().keySet());
            }
            float[] values = predicted.toFloats();
            float[] expected = target.value().toFloats();
            if (values.length != expected.length) {
                throw new InvalidInputException("metrics.target_error", "sample " + input.sampleIndex() + ": output "
                        + Arrays.toString(predicted.shape()) + ", annotation " + Arrays.toString(target.value().shape()),
                        "an annotation with as many elements as the output");
            }
            double error = 0;
            for (int i = 0; i < values.length; i++) {
                error += Math.abs(values[i] - expected[i]);
            }
            error /= Math.max(1, values.length);
            if (count == perSample.length) {
                perSample = Arrays.copyOf(perSample, count * 2);
            }
            perSample[count++] = error;
            sum += error;
        }

        @Override
        public double value() {
            return count == 0 ? Double.NaN : sum / count;
        }

        @Override
        public boolean higherIsBetter() {
            return false;
        }

        @Override
        public double[] perSampleValues() {
            return Arrays.copyOf(perSample, count);
        }
    }
}
