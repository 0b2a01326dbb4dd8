package org.pot4j.orchestrator.internal.job;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.data.Dataset;
import org.pot4j.api.data.Sample;
import org.pot4j.api.graph.Graph;
import org.pot4j.api.graph.ValueInfo;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;

/**
 * How a dataset's samples become the model's inputs: which sample tensor feeds which model input (by name; a
 * loader's {@link Sample#DEFAULT_INPUT} feeds the model's one input the job gives no constant for), the job's
 * constant inputs fed to every run as they are, and the batch: the largest the model accepts up to the configured
 * one. A data input whose sample lacks the leading dimension is batched along a new axis 0 (1 when that dimension is
 * fixed to 1); a sample with the input's full rank is fed as it is (no batch dimension, or a whole batch) and so is
 * run alone; a constant whose declared shape has a dynamic dimension may depend on the batch (a recurrent state
 * [layers, N, hidden]) and is fed with batch 1. Every sample is checked against the model before it is fed:
 * errors name the input ({@code inputs.<name>}), the sample, the value and what the model declares.
 */
final class InputFeed {

    /** How one data input is fed. */
    private record DataInput(String modelName, String sampleKey, ValueInfo info, boolean batched) {
    }

    private final List<DataInput> data;
    private final Map<String, Tensor> constants;
    private final int batchSize;
    private final String reason;

    private InputFeed(List<DataInput> data, Map<String, Tensor> constants, int batchSize, String reason) {
        this.data = data;
        this.constants = constants;
        this.batchSize = batchSize;
        this.reason = reason;
    }

    /**
     * Binds {@code first} (a sample of the dataset) to the inputs of {@code model}.
     *
     * @param constants       the job's engine.constant_inputs, already converted ({@link ConstantInputs})
     * @param configuredBatch engine.batch_size, else the job service's batch_size
     */
    static InputFeed bind(Graph model, Map<String, Tensor> constants, Sample first, int configuredBatch) {
        Map<String, ValueInfo> inputs = new LinkedHashMap<>();
        model.inputs().forEach(input -> inputs.put(input.name(), input));
        List<String> dataNames = new ArrayList<>();
        for (String name : inputs.keySet()) {
            if (!constants.containsKey(name)) {
                dataNames.add(name);
            }
        }
        Map<String, String> keyOf = new LinkedHashMap<>(); // model input -> sample key
        for (String key : first.inputs().keySet()) {
            boolean onlyArrayForOnlyInput = first.inputs().size() == 1 && dataNames.size() == 1
                    && !inputs.containsKey(key) && !constants.containsKey(key);
            if (onlyArrayForOnlyInput) {
                // one named array (an .npz's "images") for a model with one data input: the names need not agree
                keyOf.put(dataNames.get(0), key);
            } else if (key.equals(Sample.DEFAULT_INPUT)) {
                if (first.inputs().size() > 1 || dataNames.size() != 1) {
                    throw new InvalidInputException("inputs", "one unnamed input (a single array or image)",
                            "the model takes the inputs " + dataNames + (constants.isEmpty() ? "" : " besides the"
                            + " constant_inputs " + constants.keySet()) + ": give one array per input name (an .npz"
                            + " with those keys, one .npy per input, or a folder of <sample>.<input>.npy files) or"
                            + " engine.constant_inputs for the inputs that do not change");
                }
                keyOf.put(dataNames.get(0), key);
            } else if (constants.containsKey(key)) {
                throw new InvalidInputException("inputs." + key, "given by the dataset and engine.constant_inputs",
                        "one of them: a constant input is fed as it is to every run");
            } else if (!inputs.containsKey(key)) {
                throw new InvalidInputException("inputs." + key, key, "a model input: " + inputs.keySet());
            } else {
                keyOf.put(key, key);
            }
        }
        for (String name : dataNames) {
            if (!keyOf.containsKey(name)) {
                throw new InvalidInputException("inputs." + name, "missing (the dataset gives " + first.inputs().keySet()
                        + ")", "a tensor for every model input " + inputs.keySet() + ": add '" + name
                        + "' to the data, or give it in engine.constant_inputs when it is the same for every sample");
            }
        }
        List<DataInput> bound = new ArrayList<>();
        int limit = configuredBatch;
        String reason = null;
        for (Map.Entry<String, String> entry : keyOf.entrySet()) {
            ValueInfo info = inputs.get(entry.getKey());
            Tensor tensor = first.inputs().get(entry.getValue());
            boolean batched = info.dims() == null || tensor.rank() == info.dims().size() - 1;
            DataInput input = new DataInput(entry.getKey(), entry.getValue(), info, batched);
            check(input, tensor, first.index());
            if (!batched) {
                limit = 1;
                reason = "input '" + info.name() + "' is fed whole (its samples have the model input's rank)";
            } else if (info.dims() == null) {
                limit = 1;
                reason = "input '" + info.name() + "' has no declared shape";
            } else {
                Long fixed = info.dims().get(0).value();
                if (fixed != null && fixed == 1 && limit > 1) {
                    limit = 1;
                    reason = "input '" + info.name() + "' has a fixed batch dimension of 1";
                } else if (fixed != null && fixed > 1) {
                    // batches of exactly k samples would leave a short last batch the model cannot take
                    throw new InvalidInputException("inputs." + info.name(), "sample " + first.index() + ": "
                            + tensor.type() + " " + java.util.Arrays.toString(tensor.shape()), "samples of the input's"
                            + " whole shape " + info.dims() + ": its first dimension is fixed to " + fixed
                            + ", so each sample must be a whole batch");
                }
            }
            bound.add(input);
        }
        for (Map.Entry<String, Tensor> constant : constants.entrySet()) {
            ValueInfo info = inputs.get(constant.getKey());
            if (info != null && info.dims() != null
                    && info.dims().stream().anyMatch(d -> d.value() == null) && limit > 1) {
                limit = 1;
                reason = "constant input '" + info.name() + "' has a dynamic dimension " + info.dims();
            }
        }
        return new InputFeed(List.copyOf(bound), Map.copyOf(constants), Math.max(1, limit), reason);
    }

    /** The job's engine.constant_inputs as tensors of the model's input types. */
    static Map<String, Tensor> constants(Pipeline pipeline, Graph model) {
        return ConstantInputs.of(pipeline.config().constantInputs(), model);
    }

    /**
     * Binds {@code dataset} (its first sample) to {@code model}; an input error names {@code datasetField} too, as the
     * calibration and the main dataset feed the same model.
     */
    static InputFeed forDataset(Graph model, Map<String, Tensor> constants, Dataset dataset, int configuredBatch,
                                String datasetField) {
        try {
            return bind(model, constants, dataset.get(0), configuredBatch);
        } catch (InvalidInputException e) {
            throw Pipeline.blameDataset(e, datasetField);
        }
    }

    /** Samples per run: the configured batch, or less as the model requires (see {@link #batchReason()}). */
    int batchSize() {
        return batchSize;
    }

    /** Why the batch is smaller than configured, or null. */
    String batchReason() {
        return reason;
    }

    /** The model inputs of a batch of samples. */
    Map<String, Tensor> batch(List<Sample> samples) {
        Map<String, Tensor> feed = new LinkedHashMap<>();
        for (DataInput input : data) {
            List<Tensor> tensors = new ArrayList<>(samples.size());
            for (Sample sample : samples) {
                Tensor tensor = sample.inputs().get(input.sampleKey());
                if (tensor == null) {
                    throw new InvalidInputException("inputs." + input.modelName(), "missing in sample " + sample.index()
                            + " (it has " + sample.inputs().keySet() + ")", "every sample gives every input");
                }
                tensors.add(check(input, tensor, sample.index()));
            }
            feed.put(input.modelName(), input.batched() ? stack(tensors) : tensors.get(0));
        }
        feed.putAll(constants);
        return feed;
    }

    /** Model inputs of {@code indices[i]} of {@code dataset}, one sample each (for the statistics collector). */
    IntFunction<Map<String, Tensor>> perSample(Dataset dataset, int[] indices) {
        int[] chosen = indices.clone();
        return i -> batch(List.of(dataset.get(chosen[i])));
    }

    /**
     * The sample's tensor as fed: checked against the model input's type and shape. Integers are widened for a FLOAT
     * input (images or audio saved as uint8 / int16); any other type difference is an error.
     */
    private static Tensor check(DataInput input, Tensor tensor, int sampleIndex) {
        ValueInfo info = input.info();
        String field = "inputs." + input.modelName();
        if (tensor.type() != info.type() && info.type() == DataType.FLOAT && INTEGERS.contains(tensor.type())) {
            tensor = Tensor.ofFloats(tensor.shape(), tensor.toFloats());
        }
        if (tensor.type() != info.type()) {
            throw new InvalidInputException(field, "sample " + sampleIndex + ": " + tensor.type() + " "
                    + Arrays.toString(tensor.shape()), "element type " + info.type() + " (the model's declared type;"
                    + " save the array with that dtype)");
        }
        if (info.dims() == null) {
            return tensor;
        }
        List<ValueInfo.Dim> dims = info.dims();
        int offset = input.batched() ? 1 : 0;
        boolean matches = tensor.rank() + offset == dims.size();
        for (int axis = 0; matches && axis < tensor.rank(); axis++) {
            Long fixed = dims.get(axis + offset).value();
            matches = fixed == null || fixed < 0 || fixed == tensor.dim(axis);
        }
        if (!matches) {
            throw new InvalidInputException(field, "sample " + sampleIndex + ": " + tensor.type() + " "
                    + Arrays.toString(tensor.shape()), "the model declares " + info.type() + " " + dims
                    + (dims.isEmpty() ? "" : ": a sample of shape " + dims.subList(1, dims.size())
                    + " (batched along a new axis 0) or of the whole shape " + dims + " (fed as it is)"));
        }
        return tensor;
    }

    private static final java.util.Set<DataType> INTEGERS = java.util.EnumSet.of(DataType.UINT8, DataType.INT8,
            DataType.INT16, DataType.UINT16, DataType.INT32, DataType.INT64);

    /** Stacks same-shaped tensors along a new axis 0, keeping their element type. */
    static Tensor stack(List<Tensor> tensors) {
        Tensor first = tensors.get(0);
        long[] sampleShape = first.shape();
        int size = first.size();
        Object data = Array.newInstance(first.data().getClass().getComponentType(), size * tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            Tensor tensor = tensors.get(i);
            if (!Arrays.equals(tensor.shape(), sampleShape)) {
                throw new InvalidInputException("samples", Arrays.toString(tensor.shape()),
                        "every sample of a batch has the shape of the first one, " + Arrays.toString(sampleShape));
            }
            System.arraycopy(tensor.data(), 0, data, i * size, size);
        }
        long[] shape = new long[sampleShape.length + 1];
        shape[0] = tensors.size();
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        return new Tensor(first.type(), shape, data);
    }
}
