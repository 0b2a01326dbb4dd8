package org.pot4j.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.command.Command;

/** submit, jobs and cancel answer -h/--help with their usage line and exit 0, without contacting Kafka. */
class HelpOptionTest {
    private static final KafkaSettings SETTINGS = KafkaSettings.resolve(Map.of(), key -> null);

    private static void assertHelp(Command command, String usage, String... otherArgs) throws Exception {
        for (String help : new String[] {"--help", "-h"}) {
            String[] args = new String[otherArgs.length + 1];
            System.arraycopy(otherArgs, 0, args, 0, otherArgs.length);
            args[otherArgs.length] = help;
            SubmitCommandTest.Run run = SubmitCommandTest.run(command, args);
            assertEquals(0, run.exitCode(), run.err());
            assertEquals(usage, run.out().strip());
            assertEquals("", run.err());
        }
    }

    @Test
    void submitJobsAndCancelPrintTheirUsage() throws Exception {
        String submitUsage = "usage: pot submit -c CONFIG [--bootstrap H:P] [--follow] [-o DIR] [--job-id ID]"
                + " [--timeout SECONDS] [--wait SECONDS] [--json]";
        assertHelp(new SubmitCommand(SETTINGS), submitUsage);
        assertHelp(new SubmitCommand(SETTINGS), submitUsage, "-c", "/no/such/file.json", "--bootstrap", "127.0.0.1:1");
        assertHelp(new JobsCommand(SETTINGS), "usage: pot jobs [--bootstrap H:P] [--wait SECONDS] [--json]");
        assertHelp(new CancelCommand(SETTINGS), "usage: pot cancel JOB [--bootstrap H:P] [--wait SECONDS]");
        assertHelp(new CancelCommand(SETTINGS), "usage: pot cancel JOB [--bootstrap H:P] [--wait SECONDS]", "some-job", "--bootstrap",
                "127.0.0.1:1");
    }
}
