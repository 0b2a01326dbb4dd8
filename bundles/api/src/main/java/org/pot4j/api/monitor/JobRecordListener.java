package org.pot4j.api.monitor;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard: told of every job state a {@link JobDirectory} records from now on (the console pushes other servers'
 * jobs to its pages with it). Called on the directory's reading thread: return quickly, never block.
 */
@ConsumerType
public interface JobRecordListener {

    /** {@code record} is the job's new latest state. */
    void recorded(JobRecord record);
}
