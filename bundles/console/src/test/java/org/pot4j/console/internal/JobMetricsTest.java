package org.pot4j.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.pot4j.api.monitor.MetricFamily;
import org.pot4j.api.monitor.MetricFamily.Sample;
import org.pot4j.testsupport.PrometheusText;

class JobMetricsTest {

    @Test
    void theExpositionParsesStrictlyAndCountsWhatHappened() {
        JobMetrics metrics = new JobMetrics();
        metrics.jobEnded("COMPLETED");
        metrics.jobEnded("COMPLETED");
        metrics.jobEnded("FAILED");
        metrics.stageEnded(0.05);
        metrics.stageEnded(3.0);
        metrics.stageEnded(4000);
        metrics.statisticsCache("miss");
        metrics.statisticsCache("hit");
        metrics.statisticsCache("hit");
        metrics.statisticsCache("sideways"); // not a result: not counted
        MetricFamily lag = new MetricFamily("pot4j_kafka_consumer_lag", "lag", MetricFamily.Type.GAUGE,
                List.of(new Sample(Map.of("topic", "t\"q", "partition", "0"), 3)));
        MetricFamily taken = new MetricFamily("pot4j_jobs", "a second pot4j_jobs", MetricFamily.Type.GAUGE,
                List.of(Sample.of(7)));
        String text = metrics.render(Map.of("COMPLETED", 2L, "FAILED", 1L), 1, 4, 2, List.of(lag, taken));
        PrometheusText parsed = PrometheusText.parse(text);
        assertEquals(2.0, parsed.value("pot4j_jobs_ended_total", "state", "COMPLETED"));
        assertEquals(1.0, parsed.value("pot4j_jobs_ended_total", "state", "FAILED"));
        assertEquals(2.0, parsed.value("pot4j_jobs", "state", "COMPLETED"));
        assertEquals(1.0, parsed.value("pot4j_jobs_running"));
        assertEquals(4.0, parsed.value("pot4j_queue_depth"));
        assertEquals(2.0, parsed.value("pot4j_statistics_cache_total", "result", "hit"));
        assertEquals(0.0, parsed.value("pot4j_statistics_cache_total", "result", "partial"));
        assertEquals(1.0, parsed.value("pot4j_statistics_cache_total", "result", "miss"));
        assertEquals(3, parsed.samples("pot4j_statistics_cache_total").size());
        assertEquals(1.0, parsed.value("pot4j_stage_duration_seconds_bucket", "le", "0.1"));
        assertEquals(2.0, parsed.value("pot4j_stage_duration_seconds_bucket", "le", "5"));
        assertEquals(3.0, parsed.value("pot4j_stage_duration_seconds_bucket", "le", "+Inf"));
        assertEquals(4003.05, parsed.value("pot4j_stage_duration_seconds_sum"), 1e-9);
        assertEquals("histogram", parsed.families().get("pot4j_stage_duration_seconds").type());
        assertEquals(3.0, parsed.value("pot4j_kafka_consumer_lag", "partition", "0", "topic", "t\"q"));
        assertTrue(parsed.samples("pot4j_jobs").stream().noneMatch(s -> s.value() == 7),
                "a source's family with a taken name is left out:\n" + text);
        assertTrue(text.contains("# pot4j: a second family pot4j_jobs is left out"), text);
    }

    @Test
    void theStrictReaderRefusesWhatPrometheusWouldNot() {
        for (String bad : List.of("a 1", "a{b=\"c} 1\n", "a{b=\"\\x\"} 1\n", "a one\n",
                "# TYPE a counter\na -1\n", "a 1\nb 1\na 2\n", "a 1\na 1\n",
                "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
                "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 1\n")) {
            assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse(bad), bad);
        }
    }

    @Test
    void aMetricFamilyNamesItsBadField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MetricFamily("pot4j-lag", "", MetricFamily.Type.GAUGE, List.of()));
        assertTrue(e.getMessage().contains("MetricFamily.name 'pot4j-lag'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new MetricFamily("pot4j_dlq", "", MetricFamily.Type.COUNTER, List.of()));
        assertTrue(e.getMessage().contains("_total"), e.getMessage());
    }

    @Test
    void labelValuesAreEscaped() {
        assertEquals("a\\\"b\\\\c\\n", JobMetrics.escape("a\"b\\c\n"));
    }
}
