package org.pot4j.kafka.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds the DLQ record of a request that could not be parsed. The value goes as received when it
 * fits the broker's message limit; a larger one (an oversized request that came in producer-compressed)
 * is stored gzip-compressed, else truncated, with its original size and sha256 in headers and the
 * error header saying which, so the DLQ never refuses it and nothing is silently cut.
 */
public final class DeadLetters {
    /** Value headers: how the DLQ value is stored ("as-received", "gzip", "truncated"), original size and hash. */
    public static final String HEADER_STORED = "pot4j.dlq.stored";
    public static final String HEADER_ORIGINAL_BYTES = "pot4j.original.bytes";
    public static final String HEADER_ORIGINAL_SHA256 = "pot4j.original.sha256";
    /**
     * Bytes of value a DLQ record may carry: below the broker's default message.max.bytes (1 MiB + 12),
     * leaving room for the headers (which copy the request's own) and the batch overhead.
     */
    static final int DEFAULT_VALUE_BUDGET = 900 * 1024;

    private DeadLetters() {
    }

    public static ProducerRecord<String, byte[]> record(String dlqTopic, ConsumerRecord<String, byte[]> request,
                                                        String reason, String message, int valueBudget) {
        RecordHeaders headers = new RecordHeaders();
        request.headers().forEach(headers::add);
        byte[] value = request.value();
        String stored = "as-received";
        String note = "";
        if (value != null && value.length > valueBudget) {
            headers.add(HEADER_ORIGINAL_BYTES, Messages.utf8(Integer.toString(value.length)));
            headers.add(HEADER_ORIGINAL_SHA256, Messages.utf8(SnapshotChunks.sha256(value)));
            byte[] compressed = gzip(value);
            if (compressed.length <= valueBudget) {
                stored = "gzip";
                note = "; the value is stored gzip-compressed (" + value.length + " bytes as received, "
                        + compressed.length + " stored; see " + HEADER_ORIGINAL_SHA256 + ")";
                value = compressed;
            } else {
                stored = "truncated";
                note = "; the value is truncated to its first " + valueBudget + " of " + value.length
                        + " bytes (too large for the DLQ even gzip-compressed; see " + HEADER_ORIGINAL_SHA256 + ")";
                value = Arrays.copyOf(value, valueBudget);
            }
        }
        headers.add(Messages.HEADER_REASON, Messages.utf8(reason));
        headers.add(Messages.HEADER_ERROR, Messages.utf8(message + note));
        headers.add(HEADER_STORED, Messages.utf8(stored));
        headers.add("pot4j.source", Messages.utf8(request.topic() + "/" + request.partition() + "@" + request.offset()));
        return new ProducerRecord<>(dlqTopic, null, request.key(), value, headers);
    }

    /**
     * The DLQ record of a record the consumer could not read at all (a corrupt or undecompressable batch, a key
     * that does not deserialize): its position in {@code pot4j.source}, the reason, and whatever Kafka could still
     * hand over of it ({@code raw}: the key and value bytes of a record whose key did not deserialize, else nothing).
     */
    public static ProducerRecord<String, byte[]> unreadable(String dlqTopic, String topic, int partition, long offset,
                                                            String reason, String message,
                                                            org.apache.kafka.common.errors.RecordDeserializationException raw,
                                                            int valueBudget) {
        byte[] value = raw == null || raw.valueBuffer() == null ? null : bytes(raw.valueBuffer());
        org.apache.kafka.common.header.Headers rawHeaders = raw == null ? null : raw.headers();
        ConsumerRecord<String, byte[]> record = new ConsumerRecord<>(topic, partition, offset, null, value);
        if (rawHeaders != null) {
            rawHeaders.forEach(record.headers()::add);
        }
        return record(dlqTopic, record, reason, message, valueBudget);
    }

    private static byte[] bytes(java.nio.ByteBuffer buffer) {
        java.nio.ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }

    static byte[] gzip(byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, value.length / 8));
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(value);
        } catch (IOException e) {
            throw new IllegalStateException("gzip in memory failed", e);
        }
        return out.toByteArray();
    }
}
