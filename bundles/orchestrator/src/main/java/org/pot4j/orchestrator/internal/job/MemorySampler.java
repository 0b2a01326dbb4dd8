package org.pot4j.orchestrator.internal.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The process's resident memory (VmRSS of /proc/self/status) sampled every {@value #PERIOD_MS} ms on a daemon thread
 * while a job runs, so that each stage reports its peak. Process-wide: with jobs running in parallel a stage's peak
 * includes theirs. Where /proc is absent (not Linux) nothing is sampled and {@link #peakMegabytes()} is -1.
 */
final class MemorySampler implements AutoCloseable {
    static final int PERIOD_MS = 20;
    private static final Path STATUS = Path.of("/proc/self/status");

    private final AtomicLong peakKilobytes = new AtomicLong(-1);
    private final AtomicLong jobPeakKilobytes = new AtomicLong(-1);
    private final Thread thread;
    private volatile boolean running = true;

    MemorySampler(String jobId) {
        if (residentKilobytes() < 0) {
            thread = null;
            return;
        }
        thread = new Thread(() -> {
            while (running) {
                sample();
                try {
                    Thread.sleep(PERIOD_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "pot4j-memory-" + jobId);
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts a new stage: its peak begins at the resident size now. */
    void mark() {
        peakKilobytes.set(residentKilobytes());
    }

    /** The largest resident size seen since {@link #mark()}, in MB (-1 when not measured). */
    double peakMegabytes() {
        sample();
        long kb = peakKilobytes.get();
        return kb < 0 ? -1 : Math.round(kb / 102.4) / 10.0;
    }

    /** The largest resident size seen while this sampler ran, in MB (-1 when not measured). */
    double jobPeakMegabytes() {
        sample();
        long kb = jobPeakKilobytes.get();
        return kb < 0 ? -1 : Math.round(kb / 102.4) / 10.0;
    }

    private void sample() {
        long now = residentKilobytes();
        if (now >= 0) {
            peakKilobytes.accumulateAndGet(now, Math::max);
            jobPeakKilobytes.accumulateAndGet(now, Math::max);
        }
    }

    /** VmRSS in kB, or -1 when it cannot be read. */
    static long residentKilobytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
