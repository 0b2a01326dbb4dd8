package org.pot4j.kafka.internal;

import org.pot4j.config.support.ConfigPaths;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.command.Command;
import org.pot4j.config.support.ConfigFiles;

/**
 * {@code pot submit -c CONFIG [--bootstrap H:P] [--follow] [-o DIR] [--job-id ID] [--wait SECONDS] [--json]}: sends
 * a job to the servers (paths made absolute against the configuration's folder), once Kafka answers and a server
 * has created the topics (waiting for a server that is starting, 120 s by default); with --follow shows
 * its progress until it ends, reassembles the final model, checks its sha256 and writes it to DIR.
 */
@Component(configurationPid = KafkaConfig.PID, property = {Command.PROPERTY + "=submit",
        Command.DESCRIPTION + "=submit -c CONFIG [--bootstrap H:P] [--follow] [-o DIR] [--job-id ID] [--wait SECONDS] [--json]: "
                + "send a quantization job to the Kafka servers"})
public class SubmitCommand implements Command {
    static final String USAGE = "usage: pot submit -c CONFIG [--bootstrap H:P] [--follow] [-o DIR] [--job-id ID]"
            + " [--timeout SECONDS] [--wait SECONDS] [--json]";
    private static final int BAR = 30;
    /** After the terminal event, how long to wait for the last snapshot chunks (another topic). */
    private static final long SNAPSHOT_GRACE_MS = 30_000;

    private final KafkaSettings settings;

    @Activate
    public SubmitCommand(Map<String, Object> properties, BundleContext context) {
        this(KafkaSettings.resolve(properties, context::getProperty));
    }

    public SubmitCommand(KafkaSettings settings) {
        this.settings = settings;
    }

    @Override
    public int execute(List<String> arguments, PrintStream out, PrintStream err) {
        return ClientContext.guard(err, () -> run(arguments, out, err));
    }

    private int run(List<String> arguments, PrintStream out, PrintStream err) throws Exception {
        CommandArgs args = CommandArgs.parse("submit", arguments,
                Set.of("-c", "--config", "--bootstrap", "-o", "--output", "--job-id", "--timeout",
                        ClientContext.WAIT_OPTION),
                Set.of("--follow", "--json"));
        if (args.help()) {
            out.println(USAGE);
            return 0;
        }
        String configOption = args.get("-c", "--config");
        if (configOption == null) {
            throw new InvalidInputException("submit -c", null, "this option is required: the job's configuration file");
        }
        Path configFile = Path.of(configOption).toAbsolutePath().normalize();
        Path configDir = configFile.getParent();
        // read and parsed here, before Kafka is contacted: a missing or malformed file is bad input at once
        // (the server validates the configuration's content)
        Map<String, Object> config = ConfigPaths.absolutize(ConfigFiles.read(configFile), configDir);
        String jobId = args.get("--job-id") != null ? args.get("--job-id") : "job-" + UUID.randomUUID();
        boolean follow = args.flag("--follow");
        boolean json = args.flag("--json");
        long timeoutSeconds = parseTimeout(args.get("--timeout"));
        Duration wait = ClientContext.waitOption("submit", args.get(ClientContext.WAIT_OPTION));
        Path outputDir = Path.of(args.get("-o", "--output") == null ? "results" : args.get("-o", "--output"))
                .toAbsolutePath().normalize();
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("job_id", jobId);
        request.put("config", config);
        request.put("base_dir", configDir.toString());
        byte[] value = Messages.bytes(request);
        // checked before Kafka is contacted: the servers would dead-letter it (and the broker may refuse it)
        if (value.length > settings.maxRequestBytes()) {
            throw new InvalidInputException("submit -c", configFile.toString(), "a configuration whose request is at "
                    + "most " + settings.maxRequestBytes() + " bytes (the servers' max_request_bytes); this one is "
                    + value.length + " bytes");
        }

        String bootstrap = ClientContext.bootstrap(args.get("--bootstrap"), settings);
        ClientContext.awaitTopics(bootstrap, settings,
                follow ? List.of(settings.requestsTopic(), settings.eventsTopic(), settings.snapshotsTopic())
                        : List.of(settings.requestsTopic()), wait, err);

        KafkaConsumer<String, byte[]> follower = null;
        try (KafkaProducer<String, byte[]> producer = Clients.producer(bootstrap, settings.clientProperties(),
                "pot4j-submit", value.length, ClientContext.CONNECT_TIMEOUT_MS)) {
            if (follow) {
                // positioned at the end before sending, so no event of this job is missed
                follower = Clients.consumer(bootstrap, settings.clientProperties(), "pot4j-follow", null, Map.of());
                List<TopicPartition> partitions = new ArrayList<>();
                partitions.addAll(JobStates.partitions(follower, settings.eventsTopic(), Duration.ofSeconds(10)));
                partitions.addAll(JobStates.partitions(follower, settings.snapshotsTopic(), Duration.ofSeconds(10)));
                follower.assign(partitions);
                follower.seekToEnd(partitions);
                for (TopicPartition partition : partitions) {
                    follower.position(partition);
                }
            }
            RecordMetadata sent;
            try {
                sent = producer.send(new ProducerRecord<>(settings.requestsTopic(), jobId, value))
                        .get(ClientContext.CONNECT_TIMEOUT_MS + 5_000L, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof org.apache.kafka.common.errors.RecordTooLargeException) {
                    // the broker's own limit (message.max.bytes) is below max_request_bytes
                    throw new InvalidInputException("submit -c", configFile.toString(), "a configuration whose "
                            + "request the broker at " + bootstrap + " accepts; this one is " + value.length
                            + " bytes, which it refused as too large (its message.max.bytes)");
                }
                throw e;
            }
            if (!follow) {
                if (json) {
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("job_id", jobId);
                    result.put("topic", sent.topic());
                    result.put("partition", sent.partition());
                    result.put("offset", sent.offset());
                    out.println(Messages.JSON.writeValueAsString(result));
                } else {
                    out.println("submitted job " + jobId + " to " + sent.topic() + " at " + bootstrap);
                }
                return 0;
            }
            if (!json) {
                err.println("submitted job " + jobId + " to " + sent.topic() + " at " + bootstrap + "; following");
            }
            return follow(follower, jobId, modelName(config, jobId), outputDir, timeoutSeconds, json, out, err);
        } finally {
            if (follower != null) {
                follower.close(Duration.ofSeconds(2));
            }
        }
    }

    private static long parseTimeout(String value) {
        if (value == null) {
            return 24 * 3600;
        }
        try {
            long seconds = Long.parseLong(value);
            if (seconds > 0) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new InvalidInputException("submit --timeout", value, "a whole number of seconds > 0");
    }

    private int follow(KafkaConsumer<String, byte[]> consumer, String jobId, String modelName, Path outputDir,
                       long timeoutSeconds, boolean json, PrintStream out, PrintStream err) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        Map<String, SnapshotChunks.Assembly> assemblies = new HashMap<>();
        Map<String, Object> terminal = null;
        long terminalAt = 0;
        long sentAt = System.nanoTime();
        boolean answered = false;
        boolean hinted = false;
        byte[] finalModel = null;
        String finalSha = null;
        String stage = "";
        boolean bar = false;
        // a bar redrawn in place on a terminal; on a pipe only the stage lines, so logs stay readable
        boolean terminalOut = System.console() != null;
        long lastDraw = 0;
        while (true) {
            if (terminal != null && (finalModel != null || !"COMPLETED".equals(terminal.get("type"))
                    || Boolean.TRUE.equals(details(terminal).get("reannounced"))
                    || System.nanoTime() - terminalAt > SNAPSHOT_GRACE_MS * 1_000_000)) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new Pot4jException("TIMEOUT", "job " + jobId + " did not end within " + timeoutSeconds
                        + " s (it may still be running: see `pot jobs`)");
            }
            if (!answered && !hinted && !json && System.nanoTime() - sentAt > 30_000_000_000L) {
                // the request waits in the topic until a server takes it; say so instead of looking stuck
                err.println("no server has taken job " + jobId + " yet (all busy, or none running: `pot serve`); "
                        + "still waiting");
                hinted = true;
            }
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                if (!jobId.equals(record.key())) {
                    continue;
                }
                answered = true;
                if (record.topic().equals(settings.snapshotsTopic())) {
                    String snapshotId = Messages.header(record.headers(), Messages.HEADER_SNAPSHOT_ID);
                    int count = Integer.parseInt(Messages.header(record.headers(), Messages.HEADER_CHUNK_COUNT));
                    int index = Integer.parseInt(Messages.header(record.headers(), Messages.HEADER_CHUNK_INDEX));
                    String sha = Messages.header(record.headers(), Messages.HEADER_SHA256);
                    SnapshotChunks.Assembly assembly = assemblies.computeIfAbsent(snapshotId,
                            id -> new SnapshotChunks.Assembly(id, count, sha));
                    if (assembly.add(index, record.value())
                            && "true".equals(Messages.header(record.headers(), Messages.HEADER_FINAL))) {
                        finalModel = assembly.model();
                        finalSha = sha;
                    }
                    continue;
                }
                Map<String, Object> event = Messages.map(record.value());
                String type = String.valueOf(event.get("type"));
                if (json) {
                    out.println(Messages.JSON.writeValueAsString(event));
                }
                if ("METRIC".equals(type) && "trial".equals(event.get("stage")) && event.get("message") != null && !json) {
                    if (bar) {
                        err.println();
                        bar = false;
                    }
                    err.println(event.get("message")); // an optimizer's one line per trial
                } else if ("STAGE".equals(type) && !json) {
                    if (bar) {
                        err.println();
                        bar = false;
                    }
                    stage = String.valueOf(event.get("stage"));
                    err.println("[" + stage + "]");
                } else if ("PROGRESS".equals(type) && !json && terminalOut && event.get("done") instanceof Number done
                        && event.get("total") instanceof Number total && total.longValue() > 0) {
                    long now = System.nanoTime();
                    if (done.longValue() < total.longValue() && now - lastDraw < 100_000_000L) {
                        continue;
                    }
                    lastDraw = now;
                    int filled = (int) (BAR * done.longValue() / total.longValue());
                    err.print("\r  [" + "#".repeat(filled) + " ".repeat(BAR - filled) + "] " + done + "/" + total);
                    err.flush();
                    bar = true;
                } else if (Set.of("COMPLETED", "FAILED", "CANCELLED", "REJECTED").contains(type)) {
                    if (bar) {
                        err.println();
                        bar = false;
                    }
                    terminal = event;
                    terminalAt = System.nanoTime();
                }
            }
        }
        String type = String.valueOf(terminal.get("type"));
        if (!"COMPLETED".equals(type)) {
            if (!json) {
                err.println("job " + jobId + " " + type + " [" + terminal.get("code") + "]: " + terminal.get("message"));
            }
            return "REJECTED".equals(type) ? 2 : 1;
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("job_id", jobId);
        result.put("state", "COMPLETED");
        if (finalModel != null) {
            Files.createDirectories(outputDir);
            Path target = outputDir.resolve(modelName + ".onnx");
            Path partial = outputDir.resolve(modelName + ".onnx.part");
            Files.write(partial, finalModel);
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            result.put("model", target.toString());
            result.put("sha256", finalSha);
            result.put("bytes", finalModel.length);
        } else {
            result.put("model", null);
        }
        result.put("summary", details(terminal));
        if (json) {
            out.println(Messages.JSON.writeValueAsString(result));
        } else {
            out.println("job " + jobId + " COMPLETED" + (Boolean.TRUE.equals(details(terminal).get("reannounced"))
                    ? " (earlier; not run again)" : ""));
            if (finalModel != null) {
                out.println("model:  " + result.get("model") + " (" + finalModel.length + " bytes, sha256 " + finalSha
                        + " verified)");
            } else {
                out.println("model:  not received (the job completed earlier, or its snapshot did not arrive)");
            }
            Object fp32 = details(terminal).get("fp32_metrics");
            Object int8 = details(terminal).get("int8_metrics");
            if (fp32 != null || int8 != null) {
                out.println("FP32 " + fp32 + "  INT8 " + int8);
            }
        }
        return 0;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> details(Map<String, Object> event) {
        return event.get("details") instanceof Map<?, ?> details ? (Map<String, Object>) details : Map.of();
    }

    private static String modelName(Map<String, Object> config, String jobId) {
        if (config.get("model") instanceof Map<?, ?> model && model.get("model_name") instanceof String name
                && name.matches("[A-Za-z0-9._-]+")) {
            return name;
        }
        return jobId;
    }

}
