package org.pot4j.cli.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobResult;
import org.pot4j.api.job.JobState;
import org.pot4j.config.support.ConfigFiles;
import org.pot4j.testsupport.TestFiles;

/** A second job on the same model and data reuses the statistics the first one collected, and says so. */
class StatisticsCacheTest {
    @TempDir
    Path temp;

    private JobRequest request(String id, String preset) throws Exception {
        String text = Files.readString(TestFiles.example("quantize.json"))
                .replace("\"models/", "\"" + TestFiles.example("models") + "/")
                .replace("\"data/", "\"" + TestFiles.example("data") + "/")
                .replace("\"preset\": \"performance\"", "\"preset\": \"" + preset + "\"");
        Map<String, Object> config = ConfigFiles.parse(text, "test");
        return new JobRequest(id, config, temp, temp.resolve("out-" + id), "test");
    }

    private static boolean reportedCache(List<JobEvent> events, String kind) {
        return events.stream().anyMatch(e -> e.details() != null && kind.equals(e.details().get("statistics_cache")));
    }

    @Test
    void secondJobReusesStatisticsAndGivesTheSameModel() throws Exception {
        Path cache = temp.resolve("cache");
        RealServer server = new RealServer(cache);
        List<JobEvent> first = new CopyOnWriteArrayList<>();
        JobResult one = server.jobs.submit(request("one", "performance"), first::add).get(120, TimeUnit.SECONDS);
        assertEquals(JobState.COMPLETED, one.state(), one.message());
        assertFalse(reportedCache(first, "hit") || reportedCache(first, "partial"), "first job collects");
        assertTrue(reportedCache(first, "miss"), "first job's events say the cache had nothing for it");
        assertTrue(Files.list(cache).anyMatch(p -> p.toString().endsWith(".stats")), "statistics stored");

        List<JobEvent> second = new CopyOnWriteArrayList<>();
        JobResult two = server.jobs.submit(request("two", "performance"), second::add).get(120, TimeUnit.SECONDS);
        assertEquals(JobState.COMPLETED, two.state(), two.message());
        assertTrue(reportedCache(second, "hit"), "second job's events say it reused the statistics");
        assertArrayEquals(Files.readAllBytes(one.outputModel()), Files.readAllBytes(two.outputModel()));
        // the reports agree too, down to where each range came from: the first job's fresh pass counts its 300
        // samples as the second job's cached one does
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode firstPoints = json.readTree(
                one.outputModel().getParent().getParent().resolve("report.json").toFile()).get("quantization_points");
        com.fasterxml.jackson.databind.JsonNode secondPoints = json.readTree(
                two.outputModel().getParent().getParent().resolve("report.json").toFile()).get("quantization_points");
        assertEquals(firstPoints, secondPoints);
        assertTrue(firstPoints.toString().contains("over 300 samples"), firstPoints.toString());
        assertFalse(firstPoints.toString().contains("over 0 samples"), firstPoints.toString());
    }

    @Test
    void anotherPresetCollectsOnlyWhatIsMissing() throws Exception {
        RealServer server = new RealServer(temp.resolve("cache"));
        assertEquals(JobState.COMPLETED, server.jobs.submit(request("perf", "performance")).get(120, TimeUnit.SECONDS)
                .state());
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        JobResult mixed = server.jobs.submit(request("mixed", "mixed"), events::add).get(120, TimeUnit.SECONDS);
        assertEquals(JobState.COMPLETED, mixed.state(), mixed.message());
        assertTrue(reportedCache(events, "partial") || reportedCache(events, "hit"),
                "the mixed preset reuses what the performance run collected");
    }
}
