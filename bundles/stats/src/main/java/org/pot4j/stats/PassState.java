package org.pot4j.stats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.tensor.DataType;
import org.pot4j.api.tensor.Tensor;
import org.pot4j.stats.internal.FusedReduction;
import org.pot4j.stats.internal.GraphReductions;

/**
 * The state of one pass: the merged requests' reduction groups (whole tensors reduced in Java: {@link FusedGroup};
 * reduced by ONNX Runtime in the graph: {@link InGraphGroup}), the outputs a run must return, and every sample's
 * values until {@link #aggregate} turns them into the requests' statistics. Not thread-safe: the parallel pass
 * serializes its reductions on it.
 */
final class PassState {
    private final List<StatisticRequest> requests;
    final int sampleCount;
    /** What the session must return: whole tensors reduced in Java, then the in-graph reductions. */
    private final List<String> outputs;
    /** The in-graph outputs joined into one (null: none), and the outputs it joins, in order. */
    private final String gathered;
    private final List<String> parts;
    /** Per part, its per-sample shape (batch axis removed), learnt from the first run; null until then. */
    private Map<String, long[]> partShapes;
    private int gatheredWidth;
    private final List<String> batchedOutputs = new ArrayList<>();
    private final Map<String, List<FusedGroup>> groupsByTensor = new LinkedHashMap<>();
    private final List<InGraphGroup> inGraphGroups = new ArrayList<>();
    private final Map<StatisticRequest, GroupValues> groupOf = new LinkedHashMap<>();
    private final Map<StatisticRequest, Integer> slotOf = new LinkedHashMap<>();

    /** {@code augmented}: outputs of the reductions the session computes, by (tensor, channel axis). */
    PassState(List<StatisticRequest> requests, int sampleCount, InGraphReductions augmented) {
        this.requests = requests;
        this.sampleCount = sampleCount;
        this.gathered = augmented.gathered();
        this.parts = augmented.parts();
        if (augmented.widths() != null) {
            // every part's size is known: no run needs the parts themselves
            partShapes = new LinkedHashMap<>();
            augmented.widths().forEach((part, width) -> partShapes.put(part, new long[] {width}));
            gatheredWidth = Math.toIntExact(augmented.widths().values().stream().mapToLong(Long::longValue).sum());
        }
        Map<List<Object>, GraphReductions.Outputs> inGraph = augmented.outputs();
        Map<List<Object>, FusedGroup> groups = new LinkedHashMap<>();
        Map<List<Object>, InGraphGroup> reducedGroups = new LinkedHashMap<>();
        for (StatisticRequest request : requests) {
            List<Object> key = List.of(request.tensor(), request.channelAxis());
            FusedReduction.Spec spec = new FusedReduction.Spec(request.reducer(), request.quantile());
            GraphReductions.Outputs reduced = inGraph.get(key);
            if (reduced != null && reduced.covers(spec)) {
                InGraphGroup group = reducedGroups.computeIfAbsent(key, k -> new InGraphGroup(request.tensor(),
                        reduced, request.channelAxis() < 0 && reduced.channelAxis >= 0));
                groupOf.put(request, group);
                slotOf.put(request, group.slot(spec));
                continue;
            }
            FusedGroup group = groups.computeIfAbsent(key, k -> new FusedGroup(request.tensor(), request.channelAxis()));
            groupsByTensor.computeIfAbsent(request.tensor(), t -> new ArrayList<>());
            if (!groupsByTensor.get(request.tensor()).contains(group)) {
                groupsByTensor.get(request.tensor()).add(group);
            }
            groupOf.put(request, group);
            slotOf.put(request, group.slot(request));
        }
        for (FusedGroup group : groups.values()) {
            group.prepare();
        }
        List<String> names = new ArrayList<>(groupsByTensor.keySet());
        batchedOutputs.addAll(groupsByTensor.keySet());
        for (InGraphGroup group : reducedGroups.values()) {
            group.prepare();
            inGraphGroups.add(group);
            for (String name : group.outputs.names()) {
                if (!names.contains(name)) names.add(name);
            }
            for (String name : group.outputs.batched()) {
                if (!batchedOutputs.contains(name)) batchedOutputs.add(name);
            }
        }
        this.outputs = List.copyOf(names);
    }

    /** Every output the session is opened with: the per-run ones and the gathered one. */
    List<String> sessionOutputs() {
        List<String> all = new ArrayList<>(outputs);
        if (gathered != null) {
            if (partShapes != null) all.removeAll(parts); // graph outputs would cost ORT a reorder each
            all.add(gathered);
        }
        return all;
    }

    /** The first run fetches every output (learning the parts' shapes), later runs the gathered one instead. */
    List<String> runOutputs() {
        if (gathered == null || partShapes == null) {
            return outputs;
        }
        List<String> names = new ArrayList<>(outputs);
        names.removeAll(parts);
        names.add(gathered);
        return names;
    }

    /**
     * The outputs by name as the reducers read them: after the first run, the parts are cut out of the
     * gathered [B, K] output; the first run's outputs teach the parts' shapes.
     */
    Map<String, Tensor> split(Map<String, Tensor> returned, int count) {
        if (gathered == null) {
            return returned;
        }
        if (partShapes == null) {
            Map<String, long[]> shapes = new LinkedHashMap<>();
            int width = 0;
            for (String part : parts) {
                Tensor tensor = returned.get(part);
                if (tensor == null || tensor.rank() == 0 || tensor.dim(0) != count) {
                    return returned; // not split by batch: the caller falls back to one sample per run
                }
                shapes.put(part, Arrays.copyOfRange(tensor.shape(), 1, tensor.rank()));
                width = Math.addExact(width, Math.toIntExact(tensor.size() / count));
            }
            partShapes = shapes;
            gatheredWidth = width;
            return returned;
        }
        Tensor all = returned(returned, gathered);
        float[] data = all.type() == DataType.FLOAT ? all.floats() : all.toFloats();
        if (data.length != (long) count * gatheredWidth) {
            throw new Pot4jException("BACKEND_ERROR", "the gathered statistics output " + gathered + " has "
                    + data.length + " values for " + count + " samples; expected " + gatheredWidth + " per sample");
        }
        Map<String, Tensor> split = new LinkedHashMap<>(returned);
        split.remove(gathered);
        int offset = 0;
        for (Map.Entry<String, long[]> part : partShapes.entrySet()) {
            long[] sampleShape = part.getValue();
            int width = 1;
            for (long dim : sampleShape) width = Math.multiplyExact(width, Math.toIntExact(dim));
            float[] values = new float[count * width];
            for (int b = 0; b < count; b++) {
                System.arraycopy(data, b * gatheredWidth + offset, values, b * width, width);
            }
            long[] shape = new long[sampleShape.length + 1];
            shape[0] = count;
            System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
            split.put(part.getKey(), new Tensor(DataType.FLOAT, shape, values));
            offset += width;
        }
        return split;
    }

    /** Whether every requested per-sample output has the batch as its first dimension. */
    boolean splittable(Map<String, Tensor> outputs, int count) {
        for (String tensor : batchedOutputs) {
            Tensor output = outputs.get(tensor);
            if (output == null || output.rank() == 0 || output.dim(0) != count) {
                return false;
            }
        }
        return true;
    }

    void reduce(Map<String, Tensor> outputs, int count, int indexInBatch, int sampleIndex) {
        for (Map.Entry<String, List<FusedGroup>> entry : groupsByTensor.entrySet()) {
            Tensor output = returned(outputs, entry.getKey());
            float[] data = output.type() == DataType.FLOAT ? output.floats() : output.toFloats();
            long[] shape = output.shape();
            int perSample = data.length;
            if (count > 1) {
                shape[0] = 1;
                perSample = data.length / count;
            }
            for (FusedGroup group : entry.getValue()) {
                group.reduce(data, indexInBatch * perSample, shape, sampleIndex, sampleCount);
            }
        }
        for (InGraphGroup group : inGraphGroups) {
            group.reduce(outputs, count, indexInBatch, sampleIndex, sampleCount);
        }
    }

    CollectedStatistics aggregate() {
        Map<StatisticRequest, float[]> values = new LinkedHashMap<>();
        for (StatisticRequest request : requests) {
            GroupValues group = groupOf.get(request);
            values.put(request, Aggregators.aggregate(request.aggregator(), group.values()[slotOf.get(request)],
                    sampleCount, group.width(), request.outlierProb()));
        }
        return new CollectedStatistics(values, sampleCount);
    }

    /** {@code outputs}' tensor {@code name}; a backend error naming what the session returned instead. */
    static Tensor returned(Map<String, Tensor> outputs, String name) {
        Tensor output = outputs.get(name);
        if (output == null) {
            throw new Pot4jException("BACKEND_ERROR", "the session did not return requested tensor "
                    + name + "; it returned " + outputs.keySet());
        }
        return output;
    }
}
