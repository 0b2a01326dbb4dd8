package org.pot4j.stats;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.pot4j.api.statistics.Aggregator;
import org.pot4j.api.statistics.Reducer;
import org.pot4j.api.statistics.StatisticRequest;
import org.pot4j.api.statistics.Statistics;

/**
 * The results of one pass: aggregated values per request. Requests are compared after
 * {@link #normalize normalization}, so a parameter the reducer or aggregator ignores does not
 * make a request different. Immutable; serializable with {@link #toBytes()} / {@link #fromBytes}.
 */
public final class CollectedStatistics implements Statistics {

    private static final int MAGIC = 0x50344A53; // "P4JS"
    private static final int FORMAT_VERSION = 1;

    private final Map<StatisticRequest, float[]> values;
    private final int samples;

    /** {@code values} maps requests to aggregated values; copied. */
    public CollectedStatistics(Map<StatisticRequest, float[]> values, int samples) {
        Map<StatisticRequest, float[]> copy = new LinkedHashMap<>();
        values.forEach((request, value) -> copy.put(normalize(request), value.clone()));
        this.values = Collections.unmodifiableMap(copy);
        this.samples = samples;
    }

    /**
     * The request with the fields its reducer and aggregator ignore set to 0: {@code quantile}
     * unless the reducer is (abs_)quantile, {@code outlierProb} unless the aggregator is *_no_outliers;
     * any negative channel axis becomes -1.
     */
    public static StatisticRequest normalize(StatisticRequest request) {
        boolean quantile = request.reducer() == Reducer.QUANTILE || request.reducer() == Reducer.ABS_QUANTILE;
        boolean outliers = request.aggregator() == Aggregator.MEAN_NO_OUTLIERS
                || request.aggregator() == Aggregator.MEDIAN_NO_OUTLIERS;
        return new StatisticRequest(request.tensor(), request.reducer(), request.aggregator(),
                Math.max(request.channelAxis(), -1), quantile ? request.quantile() : 0.0,
                outliers ? request.outlierProb() : 0.0);
    }

    @Override
    public float[] get(StatisticRequest request) {
        float[] value = values.get(normalize(request));
        if (value == null) {
            throw new IllegalArgumentException("statistic " + request + " was not collected; collected: "
                    + values.keySet());
        }
        return value.clone();
    }

    @Override
    public boolean contains(StatisticRequest request) {
        return values.containsKey(normalize(request));
    }

    @Override
    public Set<StatisticRequest> requests() {
        return values.keySet();
    }

    @Override
    public int samples() {
        return samples;
    }

    /** This and {@code other}'s values in one result (other wins on equal requests); samples of this. */
    public CollectedStatistics merge(Statistics other) {
        Map<StatisticRequest, float[]> all = new LinkedHashMap<>(values);
        for (StatisticRequest request : other.requests()) {
            all.put(request, other.get(request));
        }
        return new CollectedStatistics(all, samples);
    }

    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(FORMAT_VERSION);
        out.writeInt(samples);
        out.writeInt(values.size());
        for (Map.Entry<StatisticRequest, float[]> entry : values.entrySet()) {
            StatisticRequest request = entry.getKey();
            out.writeUTF(request.tensor());
            out.writeUTF(request.reducer().name());
            out.writeUTF(request.aggregator().name());
            out.writeInt(request.channelAxis());
            out.writeDouble(request.quantile());
            out.writeDouble(request.outlierProb());
            float[] value = entry.getValue();
            out.writeInt(value.length);
            for (float v : value) out.writeFloat(v);
        }
    }

    /** Reads what {@link #writeTo} wrote; throws IOException on anything else. */
    public static CollectedStatistics readFrom(DataInput in) throws IOException {
        if (in.readInt() != MAGIC) {
            throw new IOException("not pot4j statistics (bad magic)");
        }
        int version = in.readInt();
        if (version != FORMAT_VERSION) {
            throw new IOException("statistics format version " + version + " is not supported (only "
                    + FORMAT_VERSION + ")");
        }
        int samples = in.readInt();
        int count = in.readInt();
        if (samples < 0 || count < 0) {
            throw new IOException("corrupt statistics header: samples " + samples + ", entries " + count);
        }
        Map<StatisticRequest, float[]> values = new LinkedHashMap<>();
        for (int e = 0; e < count; e++) {
            String tensor = in.readUTF();
            Reducer reducer;
            Aggregator aggregator;
            try {
                reducer = Reducer.valueOf(in.readUTF());
                aggregator = Aggregator.valueOf(in.readUTF());
            } catch (IllegalArgumentException unknown) {
                throw new IOException("corrupt statistics entry " + e + ": " + unknown.getMessage(), unknown);
            }
            int axis = in.readInt();
            double quantile = in.readDouble();
            double outlierProb = in.readDouble();
            int length = in.readInt();
            if (length < 0 || length > (1 << 26)) {
                throw new IOException("corrupt statistics entry " + e + ": length " + length);
            }
            float[] value = new float[length];
            for (int i = 0; i < length; i++) value[i] = in.readFloat();
            values.put(new StatisticRequest(tensor, reducer, aggregator, axis, quantile, outlierProb), value);
        }
        return new CollectedStatistics(values, samples);
    }

    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeTo(out);
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
        return bytes.toByteArray();
    }

    public static CollectedStatistics fromBytes(byte[] bytes) throws IOException {
        return readFrom(new DataInputStream(new ByteArrayInputStream(bytes)));
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof CollectedStatistics)) return false;
        CollectedStatistics that = (CollectedStatistics) other;
        if (samples != that.samples || !values.keySet().equals(that.values.keySet())) return false;
        for (Map.Entry<StatisticRequest, float[]> entry : values.entrySet()) {
            if (!java.util.Arrays.equals(entry.getValue(), that.values.get(entry.getKey()))) return false;
        }
        return true;
    }

    @Override
    public int hashCode() {
        return values.keySet().hashCode() * 31 + samples;
    }

    @Override
    public String toString() {
        return "CollectedStatistics[" + values.size() + " statistics over " + samples + " samples]";
    }
}
