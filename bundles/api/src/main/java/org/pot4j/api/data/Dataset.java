package org.pot4j.api.data;

import org.osgi.annotation.versioning.ConsumerType;

/** An opened dataset: random access by index. Safe for concurrent {@link #get} calls. */
@ConsumerType
public interface Dataset extends AutoCloseable {

    int size();

    Sample get(int index);

    boolean annotated();

    /**
     * A stable identity of the data and its preprocessing (e.g. file hashes + parameters), used
     * to key cached statistics.
     */
    String identity();

    @Override
    default void close() {
    }
}
