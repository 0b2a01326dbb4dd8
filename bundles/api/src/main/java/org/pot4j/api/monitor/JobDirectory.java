package org.pot4j.api.monitor;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The recorded state of every job of a group of servers: what {@code bin/pot jobs} lists. Under {@code bin/pot serve}
 * the Kafka bundle registers one, read from the compacted jobs topic; without it, a job's state is the local job
 * service's. Called from request threads: a snapshot, quick.
 */
@ProviderType
public interface JobDirectory {

    /** Where the states are read from, e.g. {@code pot4j.jobs at 127.0.0.1:9092}. */
    String source();

    /** The name this process publishes as {@code server} in the states of the jobs it runs. */
    String server();

    /** The latest state of every job the source knows, in no particular order. */
    List<JobRecord> jobs();
}
