package org.pot4j.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

class JobMetricsTest {
    /** A sample line of the text format: name, optional labels, a number. */
    static final Pattern SAMPLE = Pattern.compile(
            "[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\",?)*\\})? "
                    + "(-?[0-9.eE+-]+|\\+Inf|NaN)");

    @Test
    void everyLineIsAHelpTypeOrSampleLine() {
        JobMetrics metrics = new JobMetrics();
        metrics.jobEnded("COMPLETED");
        metrics.jobEnded("COMPLETED");
        metrics.jobEnded("FAILED");
        metrics.stageEnded(0.05);
        metrics.stageEnded(3.0);
        metrics.stageEnded(4000);
        String text = metrics.render(Map.of("COMPLETED", 2L, "FAILED", 1L), 0, 2);
        for (String line : text.split("\n")) {
            assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE ") || SAMPLE.matcher(line).matches(), line);
        }
        Map<String, String> samples = samples(text);
        assertEquals("2", samples.get("pot4j_jobs_ended_total{state=\"COMPLETED\"}"));
        assertEquals("1", samples.get("pot4j_jobs_ended_total{state=\"FAILED\"}"));
        assertEquals("1", samples.get("pot4j_stage_duration_seconds_bucket{le=\"0.1\"}"));
        assertEquals("2", samples.get("pot4j_stage_duration_seconds_bucket{le=\"5\"}"));
        assertEquals("2", samples.get("pot4j_stage_duration_seconds_bucket{le=\"1800\"}"));
        assertEquals("3", samples.get("pot4j_stage_duration_seconds_bucket{le=\"+Inf\"}"));
        assertEquals("3", samples.get("pot4j_stage_duration_seconds_count"));
        assertEquals(4003.05, Double.parseDouble(samples.get("pot4j_stage_duration_seconds_sum")), 1e-9);
        assertEquals("2", samples.get("pot4j_workers"));
    }

    @Test
    void labelValuesAreEscaped() {
        assertEquals("a\\\"b\\\\c\\n", JobMetrics.escape("a\"b\\c\n"));
    }

    static Map<String, String> samples(String text) {
        Map<String, String> samples = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (!line.startsWith("#")) {
                int space = line.lastIndexOf(' ');
                samples.put(line.substring(0, space), line.substring(space + 1));
            }
        }
        return samples;
    }
}
