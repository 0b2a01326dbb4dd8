package org.pot4j.kafka.internal;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.command.Command;

/** {@code pot cancel JOB [--bootstrap H:P]}: asks the server running the job to cancel it. */
@Component(configurationPid = KafkaConfig.PID, property = {Command.PROPERTY + "=cancel",
        Command.DESCRIPTION + "=cancel JOB [--bootstrap H:P]: cancel a job running on the Kafka servers"})
public class CancelCommand implements Command {
    static final String USAGE = "usage: pot cancel JOB [--bootstrap H:P]";

    private final KafkaSettings settings;

    @Activate
    public CancelCommand(Map<String, Object> properties, BundleContext context) {
        this(KafkaSettings.resolve(properties, context::getProperty));
    }

    public CancelCommand(KafkaSettings settings) {
        this.settings = settings;
    }

    @Override
    public int execute(List<String> arguments, PrintStream out, PrintStream err) {
        return ClientContext.guard(err, () -> {
            CommandArgs args = CommandArgs.parse("cancel", arguments, Set.of("--bootstrap"), Set.of());
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
            JobStates states = JobsCommand.read(bootstrap, settings);
            String state = states.state(jobId);
            if (state == null) {
                throw new InvalidInputException("cancel JOB", jobId, "a job id the servers know (see `pot jobs`)");
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
