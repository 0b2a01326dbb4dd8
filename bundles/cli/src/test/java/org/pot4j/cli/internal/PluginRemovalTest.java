package org.pot4j.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pot4j.api.algorithm.AlgorithmContext;
import org.pot4j.api.algorithm.QuantizationAlgorithm;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobResult;
import org.pot4j.api.job.JobState;
import org.pot4j.api.params.ParameterDescriptor;
import org.pot4j.api.statistics.Statistics;
import org.pot4j.config.support.ConfigFiles;
import org.pot4j.testsupport.TestFiles;

/** A plugin whose bundle goes away while a job uses it fails that job, naming the bundle; the next job runs. */
class PluginRemovalTest {

    /** Runs until its job is told to stop, as a long algorithm would. */
    static final class WaitingAlgorithm implements QuantizationAlgorithm {
        final CountDownLatch started = new CountDownLatch(1);

        @Override
        public List<ParameterDescriptor> parameters() {
            return List.of();
        }

        @Override
        public void apply(AlgorithmContext context, Statistics statistics) throws Exception {
            started.countDown();
            for (int i = 0; i < 3000; i++) {
                context.checkCancelled();
                Thread.sleep(10);
            }
        }
    }

    @TempDir
    Path temp;

    private JobRequest request(String id, String algorithm) throws Exception {
        String text = Files.readString(TestFiles.example("quantize.json"))
                .replace("\"models/", "\"" + TestFiles.example("models") + "/")
                .replace("\"data/", "\"" + TestFiles.example("data") + "/")
                .replace("\"DefaultQuantization\"", "\"" + algorithm + "\"")
                .replace("\"preset\": \"performance\",", "").replace("\"stat_subset_size\": 300", "");
        Map<String, Object> config = ConfigFiles.parse(text, "test");
        return new JobRequest(id, config, temp, temp.resolve("out-" + id), "test");
    }

    @Test
    void removingTheBundleOfARunningAlgorithmFailsTheJobNamingIt() throws Exception {
        RealServer server = new RealServer();
        WaitingAlgorithm waiting = new WaitingAlgorithm();
        Map<String, Object> properties = RealServer.props("pot4j.algorithm", "Waiting", RealServer.DEPLOYED_BUNDLE);
        server.registry.bindAlgorithm(waiting, properties);

        var running = server.jobs.submit(request("uses-waiting", "Waiting"));
        assertTrue(waiting.started.await(30, TimeUnit.SECONDS), "the job reached the algorithm");
        server.registry.unbindAlgorithm(waiting, properties);

        JobResult failed = running.get(30, TimeUnit.SECONDS);
        assertEquals(JobState.FAILED, failed.state());
        assertEquals("PLUGIN_REMOVED", failed.code());
        assertTrue(failed.message().contains("org.example.deployed") && failed.message().contains("Waiting"),
                failed.message());
        assertTrue(!Files.exists(temp.resolve("out-uses-waiting/cnn_relu/optimized")), "nothing half-written");

        JobResult next = server.jobs.submit(request("next", "MinMaxQuantization")).get(60, TimeUnit.SECONDS);
        assertEquals(JobState.COMPLETED, next.state(), next.message());
    }

    @Test
    void cancelStopsARunningJobAndWritesNothing() throws Exception {
        RealServer server = new RealServer();
        WaitingAlgorithm waiting = new WaitingAlgorithm();
        server.registry.bindAlgorithm(waiting, RealServer.props("pot4j.algorithm", "Waiting"));
        var running = server.jobs.submit(request("to-cancel", "Waiting"));
        assertTrue(waiting.started.await(30, TimeUnit.SECONDS));
        assertTrue(server.jobs.cancel("to-cancel"));
        JobResult result = running.get(5, TimeUnit.SECONDS);
        assertEquals(JobState.CANCELLED, result.state());
        assertEquals(JobState.CANCELLED, server.jobs.status("to-cancel").orElseThrow().state());
        assertTrue(!Files.exists(temp.resolve("out-to-cancel/cnn_relu/report.json")), "nothing written on cancel");
    }
}
