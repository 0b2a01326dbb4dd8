package org.pot4j.api.job;

/** Event types of a job's life: REJECTED, or ACCEPTED, STARTED, (STAGE|PROGRESS|METRIC|SNAPSHOT)*, then a terminal one. */
public enum JobEventType {
    REJECTED, ACCEPTED, STARTED, STAGE, PROGRESS, METRIC, SNAPSHOT, COMPLETED, FAILED, CANCELLED;

    public boolean isTerminal() {
        return this == REJECTED || this == COMPLETED || this == FAILED || this == CANCELLED;
    }
}
