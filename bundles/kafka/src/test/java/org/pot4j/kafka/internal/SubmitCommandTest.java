package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.command.Command;

/**
 * {@code pot submit} reads the configuration file before it contacts Kafka: a missing, malformed or
 * non-object file is exit 2 at once, even with no broker (port 1 answers nothing).
 */
class SubmitCommandTest {
    private static final KafkaSettings SETTINGS = KafkaSettings.resolve(Map.of(), key -> null);

    @TempDir
    Path temp;

    record Run(int exitCode, String out, String err, long millis) {
    }

    static Run run(Command command, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long start = System.nanoTime();
        int code;
        try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = command.execute(List.of(args), outStream, errStream);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                (System.nanoTime() - start) / 1_000_000);
    }

    private Run submit(Path config) throws Exception {
        return run(new SubmitCommand(SETTINGS), "-c", config.toString(), "--bootstrap", "127.0.0.1:1");
    }

    private Run submitText(String text) throws Exception {
        Path config = temp.resolve("job.json");
        Files.writeString(config, text);
        return submit(config);
    }

    private static void assertBadInputAtOnce(Run run, String expected) {
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains(expected), "'" + expected + "' in: " + run.err());
        assertFalse(run.err().contains("KAFKA_UNREACHABLE"), run.err());
        assertTrue(run.millis() < 5_000, "answered after " + run.millis() + " ms");
        for (String internal : List.of("Source:", "REDACTED", "Feature", "`", "java.", "Exception")) {
            assertFalse(run.err().contains(internal), "'" + internal + "' in: " + run.err());
        }
    }

    @Test
    void malformedConfigIsBadInputBeforeKafkaIsContacted() throws Exception {
        assertBadInputAtOnce(submitText("{\"model\": {\"model_name\": \"m\"}}}garbage"),
                "unexpected '}' after the end of the top-level object");
        assertBadInputAtOnce(submitText("{\"model\": {}} {\"engine\": {}}"),
                "unexpected content after the end of the top-level object");
        assertBadInputAtOnce(submitText("[{\"model\": {}}]"),
                "the top level must be a JSON object ({...}), found an array");
        assertBadInputAtOnce(submitText("{\"engine\": {\"dataset\": {\"preprocessing\": [{\"mean\": NaN}]}}}"),
                "(engine.dataset.preprocessing[0].mean)");
        assertBadInputAtOnce(submitText("{\"model\": {\n"), "malformed JSON at line 2");
    }

    @Test
    void aConfigLargerThanTheServersAcceptIsBadInputNamingItsSizeAndTheLimit() throws Exception {
        Run run = submitText("{\"model\": {\"model_name\": \"m\", \"pad\": \"" + "x".repeat(1_200_000) + "\"}}");
        assertBadInputAtOnce(run, "max_request_bytes");
        assertTrue(run.err().contains("1048576") && run.err().matches("(?s).*this one is 1200\\d\\d\\d bytes.*"),
                run.err());
    }

    @Test
    void aBrokerThatDoesNotAnswerIsWaitedForAsLongAsAskedSayingSoOnce() throws Exception {
        Path config = temp.resolve("job.json");
        Files.writeString(config, "{\"model\": {\"model_name\": \"m\"}}");
        Run run = run(new SubmitCommand(SETTINGS), "-c", config.toString(), "--bootstrap", "127.0.0.1:1", "--wait", "3");
        assertEquals(1, run.exitCode(), run.err());
        List<String> waiting = run.err().lines().filter(line -> line.startsWith("waiting")).toList();
        assertEquals(List.of("waiting up to 3 s for Kafka at 127.0.0.1:1 to answer (`bin/pot serve` starting?)"), waiting,
                run.err());
        assertTrue(run.err().contains("error [KAFKA_UNREACHABLE]: cannot reach Kafka at 127.0.0.1:1 within 3 s"),
                run.err());
        assertTrue(run.millis() >= 3_000 && run.millis() < 15_000, "answered after " + run.millis() + " ms");
    }

    @Test
    void theWaitIsWholeSecondsOfEveryClientCommand() throws Exception {
        Path config = temp.resolve("job.json");
        Files.writeString(config, "{\"model\": {}}");
        for (Run run : List.of(run(new SubmitCommand(SETTINGS), "-c", config.toString(), "--wait", "-1"),
                run(new JobsCommand(SETTINGS), "--wait", "soon"), run(new CancelCommand(SETTINGS), "job-1", "--wait", "1.5"))) {
            assertEquals(2, run.exitCode(), run.err());
            assertTrue(run.err().contains("--wait") && run.err().contains("a whole number of seconds >= 0"), run.err());
        }
    }

    @Test
    void missingFileOrDirectoryIsBadInputBeforeKafkaIsContacted() throws Exception {
        assertBadInputAtOnce(submit(temp.resolve("missing.json")), "does not exist");
        assertBadInputAtOnce(submit(temp), "is a directory, not a file");
    }
}
