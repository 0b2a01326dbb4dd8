package org.pot4j.itests.kafka;

import static org.pot4j.itests.kafka.KafkaHarness.details;
import static org.pot4j.itests.kafka.KafkaHarness.perServer;
import static org.pot4j.itests.kafka.KafkaHarness.trialEvents;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 acceptance 3, the figures (benchmarks/README.md, "TPE trials over Kafka"): trials per minute of a
 * {@value #TRIALS}-trial tuning job on one {@code pot serve} against two in one group, alternated, and the counts of
 * a run in which the job's owner is killed ({@code kill -9}) mid-job. Prints, asserts nothing; runs only with
 * {@code -Dpot4j.benchmark.trials=true}:
 * {@code mvn -o verify -pl itests/kafka -Dit.test=TrialsBenchmarkIT -Dpot4j.benchmark.trials=true}.
 * Each run starts fresh servers and first runs an {@value #WARM_UP_TRIALS}-trial job on them (not counted).
 * Options: {@code -Dpot4j.benchmark.rounds=2} (pairs of runs), {@code -Dpot4j.benchmark.threads=1} (the job service's
 * inference threads of each server; 1 makes two servers on one 2-core machine stand for two 1-core machines).
 */
class TrialsBenchmarkIT {
    private static final int TRIALS = 40;
    private static final int WARM_UP_TRIALS = 8;
    /** Range estimators and keep-float per layer: 5^5 configurations of cnn_relu, so every trial is measured. */
    private static final List<String> SCOPE = List.of("range_estimator", "layer");
    private static KafkaHarness kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("pot4j.benchmark.trials"),
                "a benchmark: run with -Dpot4j.benchmark.trials=true");
        kafka = new KafkaHarness();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    /** One job's figures: trials, minutes from the first trial's proposal to the last result, whole job minutes. */
    /**
     * One job's figures: trials, minutes from the optimizer's start to the last trial, whole job minutes, trials
     * measured (the others repeat a measured configuration: POT counts them, they cost nothing), the sum of the
     * measured trials' own seconds (on their servers) and the trials per server.
     */
    private record Run(String label, int trials, double trialMinutes, double jobMinutes, int measured,
                       double measuringSeconds, Map<String, Integer> servers) {
        double trialsPerMinute() {
            return trials / trialMinutes;
        }

        /** Trials measured at once on average: the measuring time over the trial phase's wall time. */
        double concurrency() {
            return measuringSeconds / (trialMinutes * 60);
        }
    }

    @Test
    void trialsPerMinuteOnOneAndTwoServersAndTheCountsAfterAKill() throws Exception {
        int rounds = Integer.getInteger("pot4j.benchmark.rounds", 2);
        int threads = Integer.getInteger("pot4j.benchmark.threads", 1);
        System.out.printf(Locale.ROOT, "TrialsBenchmark: %d-trial tuning job (POT's layer job, tuning_scope range_estimator"
                + " and layer, cnn_relu, eval subset 300, 0.5 s latency benchmark per trial, 1 ORT thread), servers with inference.threads=%d, %d cores%n",
                TRIALS, threads, Runtime.getRuntime().availableProcessors());
        List<Double> ratios = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            Run one = run("one" + round, 1, threads);
            Run two = run("two" + round, 2, threads);
            ratios.add(two.trialsPerMinute() / one.trialsPerMinute());
            for (Run r : List.of(one, two)) {
                System.out.printf(Locale.ROOT, "TrialsBenchmark: %-5s %d trials (%d measured), %.1f trials/min (trial"
                        + " phase %.2f min, whole job %.2f min), %.1f s per measured trial on its server, %.2f trials"
                        + " measured at once, per server %s%n", r.label(), r.trials(), r.measured(),
                        r.trialsPerMinute(), r.trialMinutes(), r.jobMinutes(), r.measuringSeconds() / r.measured(),
                        r.concurrency(), r.servers());
            }
            System.out.printf(Locale.ROOT, "TrialsBenchmark: round %d: two servers / one server = %.2fx trials per"
                    + " minute (whole job: %.2fx)%n", round, ratios.get(round), one.jobMinutes() / two.jobMinutes());
        }
        System.out.printf(Locale.ROOT, "TrialsBenchmark: two / one, per round: %s%n", ratios.stream()
                .map(r -> String.format(Locale.ROOT, "%.2fx", r)).toList());
        killRun(threads);
    }

    /** A 40-trial job on {@code servers} fresh servers of one group (own topics, own homes, cold caches). */
    private Run run(String label, int servers, int threads) throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("b" + label);
        List<KafkaHarness.ServerProcess> started = startServers(label, servers, topics, threads);
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events(), topics.trialLog()))) {
            // warm-up: every server builds a bench, fills its statistics cache and JIT-compiles the trial path, as a
            // server that has run some jobs (the measured job is a new one: its benches are built again, from cache)
            String warmUp = "w-" + label;
            kafka.send(topics.requests(), warmUp, KafkaHarness.json(Map.of("job_id", warmUp, "config",
                    kafka.tuningConfig(WARM_UP_TRIALS, 300, 0.5, SCOPE))));
            kafka.awaitCompleted(recorder, topics.events(), warmUp);
            String job = "b-" + label;
            kafka.send(topics.requests(), job, KafkaHarness.json(Map.of("job_id", job, "config",
                    kafka.tuningConfig(TRIALS, 300, 0.5, SCOPE))));
            kafka.awaitCompleted(recorder, topics.events(), job);
            return figures(label, recorder.events(topics.events(), job),
                    kafka.trialLog(recorder, topics.trialLog(), job).values());
        } finally {
            for (KafkaHarness.ServerProcess server : started) {
                server.stop();
            }
        }
    }

    private List<KafkaHarness.ServerProcess> startServers(String label, int count, KafkaHarness.Topics topics,
                                                          int threads) throws Exception {
        List<KafkaHarness.ServerProcess> started = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = "b" + label + "-" + i;
            Path conf = kafka.serverHomes.resolve(name).resolve("conf");
            Files.createDirectories(conf);
            Files.writeString(conf.resolve("org.pot4j.orchestrator.internal.JobServiceImpl.cfg"),
                    "inference.threads = " + threads + "\n");
            started.add(kafka.startServer(name, kafka.options(topics, "b" + label)));
        }
        for (KafkaHarness.ServerProcess server : started) {
            server.awaitServing();
        }
        return started;
    }

    private static Run figures(String label, List<Map<String, Object>> events,
                               java.util.Collection<Map<String, Object>> log) {
        List<Map<String, Object>> trials = trialEvents(events);
        Instant started = time(events.stream().filter(e -> "STARTED".equals(e.get("type"))).findFirst().orElseThrow());
        Instant optimizer = time(events.stream().filter(e -> String.valueOf(e.get("stage")).startsWith("optimizer"))
                .findFirst().orElseThrow());
        Instant lastTrial = time(trials.get(trials.size() - 1));
        Instant completed = time(events.get(events.size() - 1));
        List<Map<String, Object>> measured = log.stream().filter(v -> v != null && "trial".equals(v.get("type"))
                && !Boolean.TRUE.equals(v.get("cached"))).toList();
        double seconds = measured.stream().mapToDouble(v -> ((Number) v.get("seconds")).doubleValue()).sum();
        return new Run(label, trials.size(), Duration.between(optimizer, lastTrial).toMillis() / 60_000.0,
                Duration.between(started, completed).toMillis() / 60_000.0, measured.size(), seconds,
                perServer(trials));
    }

    private static Instant time(Map<String, Object> event) {
        return Instant.parse(String.valueOf(event.get("time")));
    }

    /** Two servers; the job's owner is killed after 10 trials; the other finishes. Prints the counts. */
    private void killRun(int threads) throws Exception {
        KafkaHarness.Topics topics = new KafkaHarness.Topics("bkill");
        List<KafkaHarness.ServerProcess> started = startServers("kill", 2, topics, threads);
        try (KafkaHarness.Recorder recorder = kafka.new Recorder(List.of(topics.events(), topics.trialLog()))) {
            String job = "b-kill";
            kafka.send(topics.requests(), job, KafkaHarness.json(Map.of("job_id", job, "config",
                    kafka.tuningConfig(TRIALS, 300, 0.5, SCOPE))));
            KafkaHarness.waitUntil("10 trials", KafkaHarness.JOB_TIMEOUT,
                    () -> trialEvents(recorder.events(topics.events(), job)).size() >= 10);
            String owner = String.valueOf(recorder.events(topics.events(), job).stream()
                    .filter(e -> "STARTED".equals(e.get("type"))).findFirst().orElseThrow().get("server"));
            long pid = Long.parseLong(owner.substring(owner.lastIndexOf('-') + 1));
            KafkaHarness.ServerProcess victim = started.stream().filter(s -> s.process.pid() == pid).findFirst()
                    .orElseThrow();
            int before = trialEvents(recorder.events(topics.events(), job)).size();
            victim.kill();
            long killedAt = System.nanoTime();
            kafka.awaitCompleted(recorder, topics.events(), job);
            List<Map<String, Object>> trials = trialEvents(recorder.events(topics.events(), job));
            List<Integer> announced = trials.stream().map(e -> ((Number) details(e).get("trial")).intValue()).toList();
            long logged = kafka.trialLog(recorder, topics.trialLog(), job).values().stream()
                    .filter(v -> v != null && "trial".equals(v.get("type"))).count();
            long distinctLogged = kafka.trialLog(recorder, topics.trialLog(), job).values().stream()
                    .filter(v -> v != null && "trial".equals(v.get("type"))).map(v -> v.get("trial")).distinct().count();
            Map<String, Object> report = KafkaHarness.map(Files.readAllBytes(kafka.work.resolve("outputs").resolve(job)
                    .resolve("cnn_relu").resolve("report.json")));
            @SuppressWarnings("unchecked")
            Map<String, Object> tpe = (Map<String, Object>) report.get("tpe");
            System.out.printf(Locale.ROOT, "TrialsBenchmark: kill -9 of the owner (%s) after %d trial events; the job"
                    + " completed %.2f min later: %d trials in the log (%d distinct numbers), %d trial events (%d"
                    + " distinct), report: %d trials, %s from the log; per server %s%n", victim.name, before,
                    (System.nanoTime() - killedAt) / 6e10, logged, distinctLogged, announced.size(),
                    new TreeSet<>(announced).size(), ((List<?>) tpe.get("trials")).size(), tpe.get("trials_from_log"),
                    perServer(trials));
        } finally {
            for (KafkaHarness.ServerProcess server : started) {
                if (server.process.isAlive()) {
                    server.stop();
                }
            }
        }
    }
}
