package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * A record the consumer cannot read (here: the codec class missing, as when the codecs were not embedded) makes
 * every poll fail while the position stays on it. It must be found, handed over for the DLQ and passed, and the
 * records around it read; an error no partition reproduces gives up after a bound, so the thread can say so.
 */
class PoisonRecordsTest {
    private static final TopicPartition P0 = new TopicPartition("pot4j.requests", 0);
    private static final TopicPartition P1 = new TopicPartition("pot4j.requests", 1);

    /** Fails every poll while partition {@code bad} is read and positioned on {@code badOffset}. */
    private static final class Poisoned extends MockConsumer<String, byte[]> {
        private final TopicPartition bad;
        private final long badOffset;
        private final Throwable error;

        Poisoned(TopicPartition bad, long badOffset, Throwable error) {
            super("earliest");
            this.bad = bad;
            this.badOffset = badOffset;
            this.error = error;
        }

        @Override
        public synchronized ConsumerRecords<String, byte[]> poll(Duration timeout) {
            if (bad != null && assignment().contains(bad) && !paused().contains(bad) && position(bad) == badOffset) {
                if (error instanceof Error e) {
                    throw e;
                }
                throw (RuntimeException) error;
            }
            return super.poll(timeout);
        }
    }

    private record Skip(TopicPartition partition, long offset, String error) {
    }

    private static void feed(MockConsumer<String, byte[]> consumer) {
        consumer.setMaxPollRecords(1); // as the request loop polls
        consumer.assign(List.of(P0, P1));
        consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
        for (TopicPartition partition : List.of(P0, P1)) {
            for (long offset = 0; offset < 3; offset++) {
                consumer.addRecord(new ConsumerRecord<>(partition.topic(), partition.partition(), offset,
                        "k" + partition.partition() + offset, new byte[] {1}));
            }
        }
    }

    @Test
    void anUnreadableRecordIsHandedOverAndPassedAndTheOthersAreRead() {
        Poisoned consumer = new Poisoned(P1, 1, new NoClassDefFoundError("com/github/luben/zstd/BufferPool"));
        feed(consumer);
        List<Skip> skipped = new ArrayList<>();
        ServerHealth health = new ServerHealth(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        PoisonRecords poison = new PoisonRecords("the requests consumer", health,
                (partition, offset, error, raw) -> skipped.add(new Skip(partition, offset, PoisonRecords.describe(error))));
        List<String> read = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            poison.poll(consumer, Duration.ofMillis(1)).forEach(r -> read.add(r.partition() + "@" + r.offset()));
        }
        assertEquals(List.of(new Skip(P1, 1, "java.lang.NoClassDefFoundError: com/github/luben/zstd/BufferPool")),
                skipped);
        assertEquals(List.of("0@0", "0@1", "0@2", "1@0", "1@2"), read.stream().sorted().toList());
        assertEquals(3, consumer.position(P1), "past the record");
    }

    @Test
    void anErrorNoPartitionReproducesEndsTheConsumerAfterABound() {
        MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest") {
            @Override
            public synchronized ConsumerRecords<String, byte[]> poll(Duration timeout) {
                if (paused().isEmpty()) {
                    throw new KafkaException("the whole poll fails, each partition alone reads nothing");
                }
                return ConsumerRecords.empty();
            }
        };
        consumer.assign(List.of(P0, P1));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ServerHealth health = new ServerHealth(new PrintStream(log, true, StandardCharsets.UTF_8));
        health.stop(); // sleeps return at once
        PoisonRecords poison = new PoisonRecords("the requests consumer", health, (p, o, e, r) -> {
            throw new AssertionError("nothing to skip");
        });
        for (int i = 1; i < PoisonRecords.MAX_UNPLACED; i++) {
            assertTrue(poison.poll(consumer, Duration.ofMillis(1)).isEmpty());
        }
        IllegalStateException gaveUp = assertThrows(IllegalStateException.class,
                () -> poison.poll(consumer, Duration.ofMillis(1)));
        assertTrue(gaveUp.getMessage().contains(PoisonRecords.MAX_UNPLACED + " failed polls in a row"),
                gaveUp.getMessage());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("no partition alone reproduced it"), log.toString());
    }
}
