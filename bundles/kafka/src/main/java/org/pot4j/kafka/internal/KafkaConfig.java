package org.pot4j.kafka.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration pid {@value #PID}. Every attribute may also come from the framework property
 * {@code pot4j.kafka.<name with dots>} (e.g. {@code pot4j.kafka.bootstrap.servers}), which the
 * launcher sets for {@code serve}; a value in ConfigAdmin wins. Client security settings pass
 * through as {@code client.<kafka key>} entries (e.g. {@code client.security.protocol=SASL_SSL}).
 * <p>
 * The keys of {@code conf/org.pot4j.kafka.cfg} keep their underscore ({@code bootstrap_servers}): a double underscore
 * in a method name is one underscore in the metatype's attribute id (a single one would be a dot), so the generated
 * metatype lists the keys {@link KafkaSettings} reads.
 */
@ObjectClassDefinition(name = "pot4j Kafka server",
        description = "Requests in, events, snapshots and job states out")
public @interface KafkaConfig {
    String PID = "org.pot4j.kafka";

    @AttributeDefinition(description = "Kafka bootstrap servers, host:port[,host:port]; empty: the framework "
            + "property pot4j.kafka.bootstrap.servers")
    String bootstrap__servers() default "";

    @AttributeDefinition(description = "Run the server (consume requests, publish events); serve sets it")
    boolean enabled() default false;

    String requests__topic() default "pot4j.requests";

    String events__topic() default "pot4j.events";

    String snapshots__topic() default "pot4j.snapshots";

    String control__topic() default "pot4j.control";

    @AttributeDefinition(description = "Compacted topic of the latest state of every job")
    String jobs__topic() default "pot4j.jobs";

    String dlq__topic() default "pot4j.requests.dlq";

    @AttributeDefinition(description = "Consumer group of the servers that share the requests")
    String group__id() default "pot4j";

    @AttributeDefinition(description = "Jobs this server takes from Kafka at once; 0: as many as the job service runs"
            + " at the same time (its workers)")
    int workers() default 0;

    @AttributeDefinition(description = "Largest request accepted, in bytes; larger ones go to the DLQ")
    int max__request__bytes() default 1_048_576;

    @AttributeDefinition(description = "Bytes per snapshot record")
    int snapshot__chunk__bytes() default 524_288;

    @AttributeDefinition(description = "Folders that paths in requests must lie in (relative: to pot4j.home); examples"
            + " holds the distribution's example job, the README's server example. None may contain or lie in the"
            + " server's state folder (pot4j.state.dir, <pot4j.home>/state): serve refuses to start so")
    String[] allowed__roots() default {"models", "data", "outputs", "examples"};

    @AttributeDefinition(description = "Where a job's output goes when the request names none (relative: to "
            + "pot4j.home); one sub-folder per job")
    String output__directory() default "outputs";

    @AttributeDefinition(description = "Partitions of the topics created at start (servers in one group share them)")
    int partitions() default 4;

    @AttributeDefinition(description = "Consumer session timeout: how soon a crashed server's requests move on")
    int session__timeout__ms() default 10_000;

    @AttributeDefinition(description = "A running job's state is re-published every fifth of this; a server that "
            + "gets the job's request after a rebalance waits while the state is younger than this (ms)")
    int lease__ms() default 15_000;
}
