package org.pot4j.runtime.itest;

import java.io.PrintStream;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.pot4j.api.command.Command;

/**
 * A stand-in for the Kafka bundle's {@code serve} command, packed into a bundle by ServeIT when the
 * distribution does not ship org.pot4j.kafka: it reports the framework properties the launcher
 * set for serve and blocks until its thread is interrupted, as the real one does.
 */
public class StandInServe implements Command {

    private volatile BundleContext context;

    public void activate(BundleContext context) {
        this.context = context;
    }

    @Override
    public int execute(List<String> args, PrintStream out, PrintStream err) throws Exception {
        out.println("stand-in serve: pot4j.kafka.enabled=" + context.getProperty("pot4j.kafka.enabled")
                + " pot4j.kafka.bootstrap.servers=" + context.getProperty("pot4j.kafka.bootstrap.servers"));
        out.flush();
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            out.println("stand-in serve: interrupted");
            out.flush();
        }
        return 0;
    }
}
