package org.pot4j.itests.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pot4j.itests.kafka.KafkaHarness.JOB_TIMEOUT;
import static org.pot4j.itests.kafka.KafkaHarness.details;
import static org.pot4j.itests.kafka.KafkaHarness.perServer;
import static org.pot4j.itests.kafka.KafkaHarness.trialEvents;
import static org.pot4j.itests.kafka.KafkaHarness.types;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 acceptance 3 and 4 under serve: a TPE tuning job's trials spread over two real {@code pot serve}
 * processes of one group on a real KRaft broker. The counts are asserted (every trial once, by number, in the
 * trial-log topic, the trial events and the report); times are printed, never asserted.
 */
class KafkaTrialsIT {
    private static final int TRIALS = 8;
    private static final int TRIALS_KILLED = 12;
    private static KafkaHarness kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = new KafkaHarness();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void trialsSpreadOverTwoServersSurviveTheKillOfTheJobsOwnerAndEvalRebuildsTheBest() throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("t");
        List<String> options = kafka.options(topics, "t");
        KafkaHarness.ServerProcess first = kafka.startServer("t1", options);
        KafkaHarness.ServerProcess second = kafka.startServer("t2", options);
        first.awaitServing();
        second.awaitServing();
        Map<Long, KafkaHarness.ServerProcess> byPid = Map.of(first.process.pid(), first, second.process.pid(), second);
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events(), topics.trialLog()))) {
            // 1. both servers measure trials of one job; every trial is counted once
            long start = System.nanoTime();
            kafka.send(topics.requests(), "t-spread", KafkaHarness.json(Map.of("job_id", "t-spread", "config",
                    small(kafka.tuningConfig(TRIALS, 200, 0.2)))));
            kafka.awaitCompleted(recorder, topics.events(), "t-spread");
            double minutes = (System.nanoTime() - start) / 6e10;
            List<Map<String, Object>> trials = trialEvents(recorder.events(topics.events(), "t-spread"));
            assertEveryTrialOnce("t-spread", TRIALS, trials, recorder, topics);
            Set<String> servers = trials.stream().map(t -> String.valueOf(details(t).get("server")))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(2, servers.size(), "trials were measured by both servers: " + servers);
            System.out.printf("KafkaTrialsIT: %d trials on 2 servers in %.2f min (%.1f trials/min, job start to end),"
                    + " per server %s%n", TRIALS, minutes, TRIALS / minutes, perServer(trials));

            // 2. kill -9 of the job's owner mid-job: the other server takes the request over and continues the log
            kafka.send(topics.requests(), "t-kill", KafkaHarness.json(Map.of("job_id", "t-kill", "config",
                    small(kafka.tuningConfig(TRIALS_KILLED, 200, 0.2)))));
            KafkaHarness.waitUntil("two trials of t-kill", JOB_TIMEOUT,
                    () -> trialEvents(recorder.events(topics.events(), "t-kill")).size() >= 2);
            String ownerName = String.valueOf(recorder.events(topics.events(), "t-kill").stream()
                    .filter(e -> "STARTED".equals(e.get("type"))).findFirst().orElseThrow().get("server"));
            KafkaHarness.ServerProcess owner = byPid.get(Long.parseLong(ownerName.substring(ownerName.lastIndexOf('-')
                    + 1)));
            int beforeKill = trialEvents(recorder.events(topics.events(), "t-kill")).size();
            owner.kill();
            assertTrue(beforeKill < TRIALS_KILLED, "killed mid-job, after " + beforeKill + " trials");
            kafka.awaitCompleted(recorder, topics.events(), "t-kill");
            List<Map<String, Object>> events = recorder.events(topics.events(), "t-kill");
            assertEquals(2, types(events).stream().filter("STARTED"::equals).count(), "taken over once: "
                    + types(events));
            assertTrue(events.stream().anyMatch(e -> String.valueOf(e.get("message")).contains("continuing that run")),
                    "the heir continued the interrupted run from the trial log");
            Map<String, Object> report = assertEveryTrialOnce("t-kill", TRIALS_KILLED, trialEvents(events), recorder,
                    topics);
            @SuppressWarnings("unchecked")
            Map<String, Object> tpe = (Map<String, Object>) report.get("tpe");
            assertTrue(((Number) tpe.get("trials_from_log")).intValue() >= beforeKill,
                    "the heir started from the logged trials: " + tpe.get("trials_from_log"));
            System.out.printf("KafkaTrialsIT: owner %s killed after %d trial events; the job completed with %d distinct"
                    + " trials (%s from the log), per server %s%n", owner.name, beforeKill, TRIALS_KILLED,
                    tpe.get("trials_from_log"), perServer(trialEvents(events)));

            // 3. eval: a new job writing to the same output folder rebuilds the log's best model, no new trial
            Map<String, Object> eval = small(kafka.tuningConfig(TRIALS_KILLED, 200, 0.2));
            ((Map<String, Object>) ((Map<String, Object>) eval.get("optimizer")).get("params"))
                    .put("trials_load_method", "eval");
            kafka.send(topics.requests(), "t-eval", KafkaHarness.json(Map.of("job_id", "t-eval", "config", eval,
                    "output_dir", kafka.work.resolve("outputs").resolve("t-kill").toString())));
            kafka.awaitCompleted(recorder, topics.events(), "t-eval");
            assertEquals(List.of(), trialEvents(recorder.events(topics.events(), "t-eval")), "eval runs no trial");
            Map<String, Object> evalReport = KafkaHarness.map(Files.readAllBytes(kafka.work.resolve("outputs")
                    .resolve("t-kill").resolve("cnn_relu").resolve("report.json")));
            Map<String, Object> evalTpe = (Map<String, Object>) evalReport.get("tpe");
            assertEquals(0, ((Number) evalTpe.get("trials_run")).intValue(), "no new trials: " + evalTpe);
            assertEquals(TRIALS_KILLED, ((Number) evalTpe.get("trials_from_log")).intValue());
            assertEquals(tpe.get("best_trial"), evalTpe.get("best_trial"), "the same best trial");
            assertEquals(report.get("chosen"), evalReport.get("chosen"), "the same model's choices");
        } finally {
            first.stop();
            second.stop();
        }
    }

    /** The statistics of 100 calibration images instead of the example's 300: a shorter test, the same counts. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> small(Map<String, Object> config) {
        for (Object algorithm : (List<Object>) ((Map<String, Object>) config.get("compression")).get("algorithms")) {
            ((Map<String, Object>) ((Map<String, Object>) algorithm).get("params")).put("stat_subset_size", 100);
        }
        return config;
    }

    /**
     * Trial numbers 0 .. n-1, each once: in the trial-log topic (the latest record of each key is a trial), in the
     * trial events, and in the report's trial table. Returns the report.
     */
    private static Map<String, Object> assertEveryTrialOnce(String job, int n, List<Map<String, Object>> trialEvents,
                                                            KafkaHarness.Recorder recorder, KafkaHarness.Topics topics)
            throws Exception {
        Set<Integer> expected = IntStream.range(0, n).boxed().collect(Collectors.toCollection(TreeSet::new));
        Map<String, Map<String, Object>> latest = kafka.trialLog(recorder, topics.trialLog(), job);
        List<Integer> logged = latest.values().stream().filter(v -> v != null && "trial".equals(v.get("type")))
                .map(v -> ((Number) v.get("trial")).intValue()).sorted().toList();
        assertEquals(new ArrayList<>(expected), logged, job + ": the trial log holds each trial once");
        assertTrue(latest.values().stream().anyMatch(v -> v != null && "end".equals(v.get("type"))), job + " ended");

        List<Integer> announced = trialEvents.stream().map(e -> ((Number) details(e).get("trial")).intValue()).sorted()
                .toList();
        assertEquals(announced.size(), new TreeSet<>(announced).size(), job + ": no trial announced twice: "
                + announced);
        assertTrue(expected.containsAll(announced), job + ": " + announced);

        Path reportFile = kafka.work.resolve("outputs").resolve(job).resolve("cnn_relu").resolve("report.json");
        Map<String, Object> report = KafkaHarness.map(Files.readAllBytes(reportFile));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> table = (List<Map<String, Object>>) ((Map<String, Object>) report.get("tpe"))
                .get("trials");
        assertEquals(new ArrayList<>(expected), table.stream().map(r -> ((Number) r.get("trial")).intValue()).sorted()
                .toList(), job + ": the report's trial table");
        return report;
    }
}
