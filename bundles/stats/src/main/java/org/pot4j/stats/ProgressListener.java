package org.pot4j.stats;

/** Told after every sample of a collection pass. */
@FunctionalInterface
public interface ProgressListener {

    ProgressListener NONE = (done, total) -> { };

    void progress(int done, int total);
}
