package org.pot4j.shell.internal;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.List;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.pot4j.api.command.Command;

/**
 * {@code bin/pot shell}: reads Gogo command lines from the terminal (or a pipe) until {@code exit} or the end of the
 * input, and prints each result. Felix Gogo's runtime does the parsing and runs the commands (Felix's {@code lb},
 * {@code inspect}, ... and {@code pot:*}); no Gogo shell bundle, whose activator would take the terminal in every run.
 */
@Component(service = Command.class, property = {Command.PROPERTY + "=shell",
        Command.DESCRIPTION + "=a Gogo shell on this framework: lb, inspect, pot:jobs, pot:cancel, pot:plugins, pot:quantize"})
public final class ShellCommand implements Command {
    static final String PROMPT = "pot> ";

    private final CommandProcessor processor;

    @Activate
    public ShellCommand(@Reference CommandProcessor processor) {
        this.processor = processor;
    }

    @Override
    public int execute(List<String> args, PrintStream out, PrintStream err) throws Exception {
        if (args.equals(List.of("--help")) || args.equals(List.of("-h"))) {
            out.println("usage: pot shell   reads Gogo commands (one a line) until 'exit' or the end of the input:");
            out.println("  lb, inspect ... (Felix), pot:jobs, pot:cancel JOB, pot:plugins, pot:quantize JOB.json OUTDIR");
            out.println("  the shell runs its own framework, as every command but serve: its jobs end with it");
            return 0;
        }
        if (!args.isEmpty()) {
            err.println("error: shell takes no arguments, got " + args + "; type commands, 'exit' to leave");
            return 2;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, Charset.defaultCharset()));
        try (CommandSession session = processor.createSession(System.in, out, err)) {
            out.println("pot4j shell (Apache Felix Gogo): lb, inspect, pot:jobs, pot:cancel JOB, pot:plugins, "
                    + "pot:quantize JOB.json OUTDIR; exit to leave");
            while (true) {
                out.print(PROMPT);
                out.flush();
                String line = in.readLine();
                if (line == null || line.trim().equals("exit")) {
                    return 0;
                }
                if (line.isBlank()) {
                    continue;
                }
                try {
                    Object result = session.execute(line);
                    if (result != null) {
                        out.println(session.format(result, Converter.INSPECT));
                    }
                } catch (Exception e) {
                    err.println("error: " + e.getMessage());
                }
            }
        }
    }
}
