package org.pot4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What serve prints when the broker halts it: the last error of the broker's log, without the stack trace. */
class EmbeddedKafkaTest {

    @TempDir
    Path temp;

    @Test
    void lastErrorIsTheLogsLastErrorWithItsExceptionLines() throws Exception {
        Path log = temp.resolve("kafka.log");
        Files.writeString(log, """
                120 [main] WARN org.apache.kafka.X - an earlier warning
                130 [main] ERROR org.apache.kafka.Y - an earlier error
                19642 [loader] ERROR org.apache.kafka.server.fault.ProcessTerminatingFaultHandler - Encountered fatal fault: Error starting LogManager
                org.apache.kafka.common.KafkaException: Found directory /d/state/kafka/kafka, 'kafka' is not in the form of topic-partition.
                Kafka's log directories (and children) should only contain Kafka topic data.
                \tat org.apache.kafka.storage.internals.log.LocalLog.exception(LocalLog.java:742)
                \tat kafka.log.LogManager.loadLogs(LogManager.scala:442)
                """);
        assertEquals("Encountered fatal fault: Error starting LogManager org.apache.kafka.common.KafkaException: Found"
                + " directory /d/state/kafka/kafka, 'kafka' is not in the form of topic-partition. Kafka's log"
                + " directories (and children) should only contain Kafka topic data.", EmbeddedKafka.lastError(log));
        assertEquals("no error in its log", EmbeddedKafka.lastError(temp.resolve("absent.log")));
    }
}
