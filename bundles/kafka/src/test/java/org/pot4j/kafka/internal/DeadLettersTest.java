package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** An oversized request (it came producer-compressed) must reach the DLQ in a form the broker takes. */
class DeadLettersTest {
    private static final String TOO_LARGE = "the request has N bytes; at most 1048576 are accepted (max_request_bytes)";

    private static ConsumerRecord<String, byte[]> request(byte[] value) {
        return new ConsumerRecord<>("pot4j.requests", 2, 41, "big", value);
    }

    private static String header(ProducerRecord<String, byte[]> record, String name) {
        return Messages.header(record.headers(), name);
    }

    @Test
    void aSmallValueGoesAsReceived() {
        byte[] value = "{\"config\": ".getBytes(StandardCharsets.UTF_8);
        ProducerRecord<String, byte[]> dead = DeadLetters.record("dlq", request(value), "MALFORMED_JSON", "bad",
                DeadLetters.DEFAULT_VALUE_BUDGET);
        assertArrayEquals(value, dead.value());
        assertEquals("big", dead.key());
        assertEquals("MALFORMED_JSON", header(dead, Messages.HEADER_REASON));
        assertEquals("as-received", header(dead, DeadLetters.HEADER_STORED));
        assertEquals("pot4j.requests/2@41", header(dead, "pot4j.source"));
    }

    @Test
    void aCompressibleValueAboveTheBrokerLimitIsStoredGzipped() throws Exception {
        byte[] value = ("{\"config\": {\"pad\": \"" + "x".repeat(5_000_000) + "\"}}").getBytes(StandardCharsets.UTF_8);
        ProducerRecord<String, byte[]> dead = DeadLetters.record("dlq", request(value), "TOO_LARGE", TOO_LARGE,
                DeadLetters.DEFAULT_VALUE_BUDGET);
        assertTrue(dead.value().length <= DeadLetters.DEFAULT_VALUE_BUDGET, dead.value().length + " bytes");
        assertEquals("gzip", header(dead, DeadLetters.HEADER_STORED));
        assertEquals("TOO_LARGE", header(dead, Messages.HEADER_REASON));
        assertEquals(Integer.toString(value.length), header(dead, DeadLetters.HEADER_ORIGINAL_BYTES));
        assertEquals(SnapshotChunks.sha256(value), header(dead, DeadLetters.HEADER_ORIGINAL_SHA256));
        assertTrue(header(dead, Messages.HEADER_ERROR).contains("stored gzip-compressed"),
                header(dead, Messages.HEADER_ERROR));
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(dead.value()))) {
            assertArrayEquals(value, in.readAllBytes());
        }
    }

    @Test
    void anIncompressibleValueAboveTheBrokerLimitIsTruncatedWithItsSizeAndHash() {
        byte[] value = new byte[2_000_000];
        new Random(7).nextBytes(value);
        ProducerRecord<String, byte[]> dead = DeadLetters.record("dlq", request(value), "TOO_LARGE", TOO_LARGE,
                DeadLetters.DEFAULT_VALUE_BUDGET);
        assertArrayEquals(Arrays.copyOf(value, DeadLetters.DEFAULT_VALUE_BUDGET), dead.value());
        assertEquals("truncated", header(dead, DeadLetters.HEADER_STORED));
        assertEquals("2000000", header(dead, DeadLetters.HEADER_ORIGINAL_BYTES));
        assertEquals(SnapshotChunks.sha256(value), header(dead, DeadLetters.HEADER_ORIGINAL_SHA256));
        assertTrue(header(dead, Messages.HEADER_ERROR).contains("truncated to its first"),
                header(dead, Messages.HEADER_ERROR));
    }
}
