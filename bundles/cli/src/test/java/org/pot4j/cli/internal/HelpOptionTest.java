package org.pot4j.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.pot4j.api.command.Command;

/** Every sub-command answers -h/--help with its usage line, exit 0, and does nothing else (no services: null). */
class HelpOptionTest {

    private static void assertHelp(Command command, String usage) throws Exception {
        for (String help : new String[] {"--help", "-h"}) {
            RealServer.Run run = RealServer.run(command, help);
            assertEquals(0, run.exitCode(), run.err());
            assertEquals(usage, run.out().strip());
            assertEquals("", run.err());
        }
        // also after other options: nothing is read or run
        RealServer.Run run = RealServer.run(command, "--json", "--help");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(usage, run.out().strip());
    }

    @Test
    void quantizeEvaluateBenchmarkAndPluginsPrintTheirUsage() throws Exception {
        assertHelp(new QuantizeCommand(null), "usage: pot quantize -c CONFIG [-o OUTDIR] [--job-id ID] [--json]");
        assertHelp(new EvaluateCommand(null), "usage: pot evaluate -c CONFIG [-m MODEL] [--json]");
        assertHelp(new BenchmarkCommand(null), "usage: pot benchmark -m MODEL [-m MODEL ...] [--batch N] [--threads N]"
                + " [--seconds S] [--rounds N] [--iterations N] [--backend B] [--json]");
        assertHelp(new PluginsCommand(null), "usage: pot plugins [--json]");
        assertEquals(0, RealServer.run(new QuantizeCommand(null), "-c", "/no/such/file.json", "--help").exitCode());
    }
}
