package org.pot4j.api.job;

/** Where a job is. */
public enum JobState {
    ACCEPTED, STARTED, COMPLETED, FAILED, CANCELLED, REJECTED;

    public boolean isTerminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED || this == REJECTED;
    }
}
