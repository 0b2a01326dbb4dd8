package org.pot4j.api.command;

import java.io.PrintStream;
import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@code bin/pot} sub-command, registered with {@value #PROPERTY} = its name ("plugins",
 * "evaluate", ...). The launcher calls {@link #execute} reflectively by this signature, so it
 * must stay stable. Exit codes: 0 ok, 1 failure, 2 bad input.
 */
@ConsumerType
public interface Command {
    String PROPERTY = "pot4j.command";
    /** Service property: a one-line description for the help text. */
    String DESCRIPTION = "pot4j.command.description";

    int execute(List<String> args, PrintStream out, PrintStream err) throws Exception;
}
