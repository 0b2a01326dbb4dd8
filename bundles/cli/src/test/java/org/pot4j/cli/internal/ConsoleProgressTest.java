package org.pot4j.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;

class ConsoleProgressTest {
    private static JobEvent event(JobEventType type, String stage, Long done, Long total) {
        return new JobEvent("j", 0, Instant.now(), type, stage, done, total, null, null, null, null);
    }

    @Test
    void onAPipeEachStageIsOneLineAndNoBarIsDrawn() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleProgress progress = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        progress.onEvent(event(JobEventType.STAGE, "statistics", null, null));
        progress.onEvent(event(JobEventType.STAGE, "statistics", null, null));
        progress.onEvent(event(JobEventType.PROGRESS, "statistics", 3L, 10L));
        progress.onEvent(event(JobEventType.STAGE, "write model", null, null));
        assertEquals("[statistics]\n[write model]\n", bytes.toString(StandardCharsets.UTF_8).replace("\r\n", "\n"));
    }

    @Test
    void onATerminalTheBarShowsDoneOfTotal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleProgress progress = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
        progress.onEvent(event(JobEventType.STAGE, "evaluation", null, null));
        progress.onEvent(event(JobEventType.PROGRESS, "evaluation", 10L, 10L));
        progress.onEvent(event(JobEventType.COMPLETED, null, null, null));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("[" + "#".repeat(30) + "] 10/10"), text);
        assertTrue(text.endsWith("\n"), "the bar's line is ended when the job ends");
    }
}
