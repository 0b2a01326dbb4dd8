package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.pot4j.api.job.JobService;

/** What the control consumer does with a raw cancel (no broker: the publisher is never reached). */
class JobWatcherTest {
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final JobStates states = new JobStates();
    private final List<String> scanned = new ArrayList<>();

    private JobWatcher watcher() {
        KafkaSettings settings = KafkaSettings.resolve(Map.of(), key -> null);
        // a publisher without a bootstrap: any event it had to send would throw
        KafkaEventPublisher publisher = new KafkaEventPublisher(settings);
        JobService jobs = (JobService) Proxy.newProxyInstance(JobService.class.getClassLoader(),
                new Class<?>[] {JobService.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "cancel" -> false; // runs nowhere here
                    case "concurrency" -> 1;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        ServerHealth health = new ServerHealth(new PrintStream(log, true, StandardCharsets.UTF_8));
        JobDispatcher dispatcher = new JobDispatcher(jobs, publisher, states, new OffsetTracker<>(), "me", 15_000, 1);
        JobWatcher watcher = new JobWatcher(settings, jobs, publisher, states, dispatcher, health, "me", id -> {
            scanned.add(id);
            return false; // no request for it waits in the requests topic
        }, new ServerMetrics());
        watcher.requestPartitionCount(4);
        watcher.ownedRequestPartitions(Set.of(0, 1, 2, 3));
        return watcher;
    }

    @Test
    void aRawCancelForAJobNoOneKnowsIsIgnoredNamingTheJobNotRecordedAsCancelled() {
        watcher().control(new ConsumerRecord<>("pot4j.control", 1, 7, "no-such-job",
                "{\"action\":\"cancel\"}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("no-such-job"), scanned, "the waiting requests were looked at");
        assertNull(states.get("no-such-job"), "no CANCELLED state for a job that never existed");
        String printed = log.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("cancel for job no-such-job") && printed.contains("ignored: no such job")
                && printed.contains("pot4j.control 1@7"), printed);
    }
}
