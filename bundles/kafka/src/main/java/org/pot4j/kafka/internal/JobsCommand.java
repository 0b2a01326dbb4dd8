package org.pot4j.kafka.internal;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.command.Command;

/** {@code pot jobs [--bootstrap H:P] [--wait SECONDS] [--json]}: every job's latest state, from the compacted jobs topic. */
@Component(configurationPid = KafkaConfig.PID, property = {Command.PROPERTY + "=jobs",
        Command.DESCRIPTION + "=jobs [--bootstrap H:P] [--wait SECONDS] [--json]: list the jobs the Kafka servers know"})
public class JobsCommand implements Command {
    static final String USAGE = "usage: pot jobs [--bootstrap H:P] [--wait SECONDS] [--json]";

    private final KafkaSettings settings;

    @Activate
    public JobsCommand(Map<String, Object> properties, BundleContext context) {
        this(KafkaSettings.resolve(properties, context::getProperty));
    }

    public JobsCommand(KafkaSettings settings) {
        this.settings = settings;
    }

    /** Reads the jobs topic at {@code bootstrap} to its end, once it exists (waiting at most {@code wait}). */
    static JobStates read(String bootstrap, KafkaSettings settings, Duration wait, PrintStream err) {
        ClientContext.awaitTopics(bootstrap, settings, List.of(settings.jobsTopic()), wait, err);
        JobStates states = new JobStates();
        try (KafkaConsumer<String, byte[]> consumer = Clients.consumer(bootstrap, settings.clientProperties(),
                "pot4j-jobs", null, Map.of())) {
            List<TopicPartition> partitions = JobStates.partitions(consumer, settings.jobsTopic(), Duration.ofSeconds(10));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            if (!states.readToEnd(consumer, partitions, Duration.ofSeconds(30))) {
                throw new Pot4jException("TIMEOUT", "the jobs topic " + settings.jobsTopic() + " at " + bootstrap
                        + " could not be read to its end within 30 s");
            }
        }
        return states;
    }

    private static String seconds(Object instant) {
        try {
            return java.time.Instant.parse(String.valueOf(instant)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                    .toString().replace('T', ' ').replace("Z", "");
        } catch (RuntimeException e) {
            return String.valueOf(instant);
        }
    }

    @Override
    public int execute(List<String> arguments, PrintStream out, PrintStream err) {
        return ClientContext.guard(err, () -> {
            CommandArgs args = CommandArgs.parse("jobs", arguments, Set.of("--bootstrap", ClientContext.WAIT_OPTION),
                    Set.of("--json"));
            if (args.help()) {
                out.println(USAGE);
                return 0;
            }
            String bootstrap = ClientContext.bootstrap(args.get("--bootstrap"), settings);
            Duration wait = ClientContext.waitOption("jobs", args.get(ClientContext.WAIT_OPTION));
            List<Map<String, Object>> jobs = new ArrayList<>(read(bootstrap, settings, wait, err).all().values());
            jobs.sort(Comparator.comparing(job -> String.valueOf(job.get("updated"))));
            if (args.flag("--json")) {
                out.println(Messages.JSON.writeValueAsString(jobs));
                return 0;
            }
            if (jobs.isEmpty()) {
                out.println("no jobs");
                return 0;
            }
            out.printf("%-40s %-10s %-20s %s%n", "JOB", "STATE", "UPDATED (UTC)", "MESSAGE");
            for (Map<String, Object> job : jobs) {
                out.printf("%-40s %-10s %-20s %s%n", job.get("job_id"), job.get("state"), seconds(job.get("updated")),
                        job.get("message") == null ? "" : job.get("message"));
            }
            return 0;
        });
    }
}
