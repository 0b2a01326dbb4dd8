package org.pot4j.api.job;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard: every registered sink receives every job event and snapshot (Kafka publisher,
 * console progress bar, test recorder). Called on the job's thread: return quickly.
 */
@ConsumerType
public interface JobEventSink {

    void onEvent(JobEvent event);

    default void onSnapshot(ModelSnapshot snapshot) {
    }
}
