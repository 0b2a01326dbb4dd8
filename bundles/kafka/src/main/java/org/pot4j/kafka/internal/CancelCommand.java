package org.pot4j.kafka.internal;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.command.Command;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;

/**
 * {@code pot cancel JOB [--bootstrap H:P] [--wait SECONDS]}: asks the server running or queueing the job to cancel it. A job no
 * server has taken yet (its request waits in the requests topic, e.g. while every worker is busy) is recorded
 * as CANCELLED here, and not run when consumed. An id neither in the jobs topic nor among the waiting requests
 * is an error: it cannot be told from a typo, and recording it would leave a CANCELLED job that never existed.
 */
@Component(configurationPid = KafkaConfig.PID, property = {Command.PROPERTY + "=cancel",
        Command.DESCRIPTION + "=cancel JOB [--bootstrap H:P] [--wait SECONDS]: cancel a queued or running job of the Kafka servers"})
public class CancelCommand implements Command {
    static final String USAGE = "usage: pot cancel JOB [--bootstrap H:P] [--wait SECONDS]";

    private final KafkaSettings settings;

    @Activate
    public CancelCommand(Map<String, Object> properties, BundleContext context) {
        this(KafkaSettings.resolve(properties, context::getProperty));
    }

    public CancelCommand(KafkaSettings settings) {
        this.settings = settings;
    }

    /**
     * True when a request for {@code jobId} waits in the requests topic: between the group's committed offsets
     * (what the servers finished) and the end, keyed by the id or naming it as job_id.
     */
    boolean waitingRequest(String bootstrap, String jobId) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed;
        try (Admin admin = Clients.admin(bootstrap, settings.clientProperties(), "pot4j-cancel-check",
                ClientContext.CONNECT_TIMEOUT_MS)) {
            committed = admin.listConsumerGroupOffsets(settings.groupId()).partitionsToOffsetAndMetadata()
                    .get(ClientContext.CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        try (KafkaConsumer<String, byte[]> consumer = Clients.consumer(bootstrap, settings.clientProperties(),
                "pot4j-cancel-scan", null, Map.of())) {
            List<TopicPartition> partitions = JobStates.partitions(consumer, settings.requestsTopic(),
                    Duration.ofSeconds(10));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            for (TopicPartition partition : partitions) {
                OffsetAndMetadata done = committed == null ? null : committed.get(partition);
                if (done != null) {
                    consumer.seek(partition, done.offset());
                }
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.getOrDefault(p, 0L))) {
                if (System.nanoTime() > deadline) {
                    throw new Pot4jException("TIMEOUT", "the waiting requests of " + settings.requestsTopic()
                            + " could not be read within 30 s");
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (names(record, jobId)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Whether a request record is for {@code jobId}, with the server's rule: job_id, else the key, else its position. */
    private static boolean names(ConsumerRecord<String, byte[]> record, String jobId) {
        Object bodyId = null;
        try {
            Map<String, Object> body = record.value() == null ? Map.of() : Messages.map(record.value());
            bodyId = body.containsKey("config") ? body.get("job_id") : null;
        } catch (java.io.IOException e) {
            // unparseable: the server dead-letters it; only its key could name a job
        }
        if (bodyId != null) {
            return jobId.equals(String.valueOf(bodyId));
        }
        String key = record.key() == null || record.key().isBlank()
                ? "kafka-" + record.topic() + "-" + record.partition() + "-" + record.offset() : record.key();
        return jobId.equals(key);
    }

    /**
     * Writes the CANCELLED state (with the time of the cancel) and event of a job no server has taken yet, then
     * tells the servers (marked recorded, so that none records it again): the server that consumes the request
     * finds it cancelled since it was sent and skips it. Recorded here, not left to a server, so that it holds
     * even when no server runs now.
     */
    private void recordCancelBeforeRun(String bootstrap, String jobId) throws Exception {
        long now = System.currentTimeMillis();
        String who = "pot-cancel@" + ServerIdentity.name();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("before_run", true);
        details.put(JobStates.CANCELLED_AT, now);
        JobEvent cancelled = new JobEvent(jobId, 0, Instant.ofEpochMilli(now), JobEventType.CANCELLED, null, null, null,
                null, "cancelled before it ran: its request will be skipped", "CANCELLED", details);
        Map<String, Object> state = Messages.jobState(cancelled, "CANCELLED", who);
        state.put(JobStates.CANCELLED_AT, now);
        try (KafkaProducer<String, byte[]> producer = Clients.producer(bootstrap, settings.clientProperties(),
                "pot4j-cancel", 1024, ClientContext.CONNECT_TIMEOUT_MS)) {
            producer.send(new ProducerRecord<>(settings.jobsTopic(), jobId, Messages.bytes(state)))
                    .get(15, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(settings.eventsTopic(), jobId,
                    Messages.bytes(Messages.event(cancelled, who)))).get(15, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(settings.controlTopic(), null, now, jobId,
                    Messages.bytes(Map.of("action", "cancel", "recorded", true)))).get(15, TimeUnit.SECONDS);
        }
    }

    @Override
    public int execute(List<String> arguments, PrintStream out, PrintStream err) {
        return ClientContext.guard(err, () -> {
            CommandArgs args = CommandArgs.parse("cancel", arguments, Set.of("--bootstrap", ClientContext.WAIT_OPTION),
                    Set.of());
            if (args.help()) {
                out.println(USAGE);
                return 0;
            }
            if (args.positional().size() != 1) {
                throw new InvalidInputException("cancel JOB", String.join(" ", args.positional()),
                        "exactly one job id (see `pot jobs`)");
            }
            String jobId = args.positional().get(0);
            String bootstrap = ClientContext.bootstrap(args.get("--bootstrap"), settings);
            Duration wait = ClientContext.waitOption("cancel", args.get(ClientContext.WAIT_OPTION));
            JobStates states = JobsCommand.read(bootstrap, settings, wait, err);
            String state = states.state(jobId);
            if (state == null) {
                // no server has taken it yet: cancellable only when its request waits in the topic (a typo stays an error)
                if (!waitingRequest(bootstrap, jobId)) {
                    throw new InvalidInputException("cancel JOB", jobId, "a job id the servers know (see `pot jobs`)"
                            + " or one whose request waits in " + settings.requestsTopic());
                }
                recordCancelBeforeRun(bootstrap, jobId);
                out.println("cancel recorded for job " + jobId + ": no server has taken it yet (its request waits in "
                        + settings.requestsTopic() + "); it will not run");
                return 0;
            }
            if (Set.of("COMPLETED", "FAILED", "CANCELLED", "REJECTED").contains(state)) {
                err.println("job " + jobId + " already ended: " + state);
                return 1;
            }
            try (KafkaProducer<String, byte[]> producer = Clients.producer(bootstrap, settings.clientProperties(),
                    "pot4j-cancel", 1024, ClientContext.CONNECT_TIMEOUT_MS)) {
                producer.send(new ProducerRecord<>(settings.controlTopic(), jobId,
                        Messages.bytes(Map.of("action", "cancel")))).get(15, TimeUnit.SECONDS);
            }
            out.println("cancel requested for job " + jobId + " (was " + state + ")");
            return 0;
        });
    }
}
