package org.pot4j.kafka.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.pot4j.api.job.JobEvent;
import org.pot4j.api.job.JobEventType;
import org.pot4j.api.job.JobRequest;
import org.pot4j.api.job.JobResult;
import org.pot4j.api.job.JobService;
import org.pot4j.api.job.JobState;

/**
 * Decides what a parsed request becomes and hands the jobs that run to the {@link JobService}: skipped (cancelled
 * while it waited), re-announced (completed before), held (its job runs here or under another server's fresh
 * lease) or run. Counts the jobs in flight against {@code workers}, tells the request loop which records ended
 * (their offsets may then be committed) and renews the leases of the jobs running here. Called from the request
 * thread, except {@link #runsElsewhereOrHere} (also the watcher's) and the job service's completion callbacks.
 */
final class JobDispatcher {
    private final JobService jobs;
    private final KafkaEventPublisher publisher;
    private final JobStates states;
    private final OffsetTracker<TopicPartition> offsets;
    private final String server;
    private final long leaseMs;
    /** Requests in flight at most. */
    private final int workers;
    private final ConcurrentLinkedQueue<Finished> finished = new ConcurrentLinkedQueue<>();
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Touched by the request thread only. */
    private final List<Held> held = new ArrayList<>();
    private long lastLeaseRenewal;

    /** A record that ended: its job's result, or null when it ran no job here (skipped, rejected, held elsewhere). */
    private record Finished(TopicPartition partition, long offset, String jobId, JobResult result) {
    }

    /** A request whose job runs already (here or, by its fresh lease, elsewhere): held until that run ends. */
    private record Held(TopicPartition partition, long offset, RequestParser.Parsed request) {
    }

    JobDispatcher(JobService jobs, KafkaEventPublisher publisher, JobStates states,
                  OffsetTracker<TopicPartition> offsets, String server, long leaseMs, int workers) {
        this.jobs = jobs;
        this.publisher = publisher;
        this.states = states;
        this.offsets = offsets;
        this.server = server;
        this.leaseMs = leaseMs;
        this.workers = workers;
    }

    /** Which request offsets ended: the request loop commits from it. */
    OffsetTracker<TopicPartition> offsets() {
        return offsets;
    }

    /** True while {@code workers} jobs are in flight: the request loop pauses its partitions. */
    boolean full() {
        return inFlight.get() >= workers;
    }

    /** The partitions with a held request: they stay paused, later records must not pass it. */
    Set<TopicPartition> blocked() {
        Set<TopicPartition> blocked = new HashSet<>();
        held.forEach(h -> blocked.add(h.partition()));
        return blocked;
    }

    /** The partitions left this consumer: their held requests go (their new owner reads them again). */
    void forget(Collection<TopicPartition> partitions) {
        held.removeIf(h -> partitions.contains(h.partition()));
    }

    /** The record at {@code offset} needs nothing more: its offset may be committed once earlier ones ended. */
    void done(TopicPartition partition, long offset) {
        finished.add(new Finished(partition, offset, null, null));
    }

    /** A parsed request: skipped, re-announced, held or run (see the class comment). */
    void start(TopicPartition partition, long offset, long sentAt, RequestParser.Parsed request) {
        String jobId = request.jobId();
        Map<String, Object> known = states.get(jobId);
        if (JobStates.cancelledSince(known, sentAt)) {
            // cancelled after this request was sent (while it waited): not run; its CANCELLED event went out then
            done(partition, offset);
            return;
        }
        if (known != null && "COMPLETED".equals(String.valueOf(known.get("state")))) {
            // done before (maybe by another server): say so again instead of running it twice
            Map<String, Object> details = new LinkedHashMap<>();
            if (known.get("summary") instanceof Map<?, ?> summary) {
                summary.forEach((k, v) -> details.put(String.valueOf(k), v));
            }
            details.put("reannounced", true);
            publisher.publish(event(jobId, JobStates.nextSequence(known), JobEventType.COMPLETED,
                    "job " + jobId + " already completed; not run again", null, details));
            done(partition, offset);
            return;
        }
        if (runsElsewhereOrHere(jobId, known)) {
            held.add(new Held(partition, offset, request));
            return;
        }
        run(partition, offset, request);
    }

    /**
     * True while the job runs in this process, or another server holds a fresh lease on it (its
     * request came here by a rebalance while it ran there): running it now would run it twice.
     */
    boolean runsElsewhereOrHere(String jobId, Map<String, Object> known) {
        if (running.contains(jobId)) {
            return true;
        }
        if (known == null || isTerminal(known) || server.equals(String.valueOf(known.get("server")))
                || Messages.INTERRUPTED.equals(String.valueOf(known.get("state")))) {
            return false;
        }
        try {
            Instant updated = Instant.parse(String.valueOf(known.get("updated")));
            return Duration.between(updated, Instant.now()).toMillis() < leaseMs;
        } catch (RuntimeException e) {
            return false;
        }
    }

    static boolean isTerminal(Map<String, Object> state) {
        return Set.of("COMPLETED", "FAILED", "CANCELLED", "REJECTED").contains(String.valueOf(state.get("state")));
    }

    /** Held requests whose run ended are done; those whose lease ran out (a dead server) run here. */
    void reviewHeld() {
        for (Iterator<Held> it = held.iterator(); it.hasNext(); ) {
            Held h = it.next();
            String jobId = h.request().jobId();
            Map<String, Object> known = states.get(jobId);
            if (runsElsewhereOrHere(jobId, known)) {
                continue;
            }
            if (known != null && isTerminal(known)) {
                // the run this request was waiting for has ended: its events already went out
                it.remove();
                done(h.partition(), h.offset());
            } else if (!full()) {
                it.remove();
                run(h.partition(), h.offset(), h.request());
            }
        }
    }

    void renewLeases() {
        long now = System.nanoTime();
        if (now - lastLeaseRenewal > leaseMs / 5 * 1_000_000L) {
            lastLeaseRenewal = now;
            publisher.renewLeases();
        }
    }

    private void run(TopicPartition partition, long offset, RequestParser.Parsed request) {
        String jobId = request.jobId();
        // a run after an earlier one (interrupted, crashed, or an id sent again) numbers its events in a run of its own
        Map<String, Object> prior = states.get(jobId);
        long start = JobStates.nextRunStart(prior);
        if (prior != null && !isTerminal(prior)) {
            publisher.publish(abandoned(jobId, start, prior));
            start++;
        }
        publisher.continueSequence(jobId, start);
        running.add(jobId);
        inFlight.incrementAndGet();
        JobRequest jobRequest = new JobRequest(jobId, request.config(), request.baseDirectory(),
                request.outputDirectory(), "kafka");
        try {
            jobs.submit(jobRequest).whenComplete((result, error) -> finished.add(new Finished(partition, offset, jobId,
                    result != null ? result : new JobResult(jobId, JobState.FAILED, null, null, Map.of(),
                            "INTERNAL_ERROR", String.valueOf(error)))));
        } catch (RuntimeException | LinkageError e) {
            publisher.continueSequence(jobId, 0);
            publisher.publish(event(jobId, start, JobEventType.FAILED, "the job service refused the job: " + e,
                    "INTERNAL_ERROR", null));
            finished.add(new Finished(partition, offset, jobId,
                    new JobResult(jobId, JobState.FAILED, null, null, Map.of(), "INTERNAL_ERROR", e.toString())));
        }
    }

    /**
     * The first event of a run that takes over a job whose earlier run did not end (its server was killed, stopped,
     * or lost the job's partition and lease): that run is abandoned, its events after {@code abandoned_sequence}
     * (the last its state records) were its last.
     */
    private JobEvent abandoned(String jobId, long sequence, Map<String, Object> prior) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("abandoned_run", JobStates.run(prior));
        details.put("abandoned_server", String.valueOf(prior.get("server")));
        details.put("abandoned_state", String.valueOf(prior.get("state")));
        if (prior.get("sequence") != null) {
            details.put("abandoned_sequence", prior.get("sequence"));
        }
        String by = server.equals(String.valueOf(prior.get("server"))) ? "this server, restarted" : "server " + server;
        return new JobEvent(jobId, sequence, Instant.now(), JobEventType.STAGE, "run abandoned", null, null, null,
                "run " + JobStates.run(prior) + " of job " + jobId + " (server " + prior.get("server") + ", "
                        + prior.get("state") + ") did not end; " + by + " runs the job again as run "
                        + JobStates.runOf(sequence), "RUN_ABANDONED", details);
    }

    /** Takes the records that ended into the offsets, and the jobs that ended into the known states. */
    void drainFinished() {
        Finished done;
        while ((done = finished.poll()) != null) {
            offsets.finish(done.partition(), done.offset());
            if (done.result() != null) {
                inFlight.decrementAndGet();
                running.remove(done.jobId());
                // known here at once, before the jobs topic echoes it back: as published (with its sequence)
                Map<String, Object> published = publisher.takeEndedState(done.jobId());
                if (published != null) {
                    states.put(done.jobId(), published);
                    continue;
                }
                Map<String, Object> state = new LinkedHashMap<>();
                state.put("job_id", done.jobId());
                state.put("state", done.result().state().name());
                state.put("updated", Instant.now().toString());
                state.put("server", server);
                state.put("summary", done.result().summary());
                states.put(done.jobId(), state);
            }
        }
    }

    static JobEvent event(String jobId, long sequence, JobEventType type, String message, String code,
                          Map<String, Object> details) {
        return new JobEvent(jobId, sequence, Instant.now(), type, null, null, null, null, message, code, details);
    }
}
