package org.pot4j.optimizer.tpe.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.pot4j.api.Pot4jException;
import org.pot4j.api.optimizer.TrialMeasurement;

/**
 * The trial loop of a Tpe run: keeps up to {@code parallelism} trials in flight (1 in the job's own process; the
 * measuring servers of the group under {@code bin/pot serve}), proposing each with the running ones as constant-liar
 * pending, and records them as they finish, in the order they finish. Trials an earlier owner of the job left
 * unmeasured are measured first under their own numbers; the reference configuration (trial 0) goes out first. No
 * new trial starts after {@code max_trials}, {@code max_minutes} or, with {@code stop_on_target}, the target; the
 * running ones are still recorded.
 */
final class ParallelTrials {
    private record Running(int number, Map<String, String> choices, boolean reference,
                           CompletableFuture<TrialMeasurement> result) {
    }

    private final TuningRun run;
    private final int budget;
    private final long start;
    private final Map<Integer, Running> running = new TreeMap<>();
    private int next;

    ParallelTrials(TuningRun run, int budget, long start) {
        this.run = run;
        this.budget = budget;
        this.start = start;
    }

    /** Runs trials until the budget or a stop; returns what stopped them (the report's {@code stopped_by}). */
    String run(TpeSampler sampler) throws Exception {
        next = run.nextNumber();
        for (Map.Entry<Integer, Map<String, String>> left : new TreeMap<>(run.context().unfinishedTrials()).entrySet()) {
            if (!run.recorded(left.getKey()) && run.count() + running.size() < budget) {
                start(left.getKey(), left.getValue(), left.getValue().equals(run.reference()) && !run.hasReference());
                next = Math.max(next, left.getKey() + 1);
            }
        }
        if (!run.hasReference() && running.values().stream().noneMatch(Running::reference)
                && run.count() + running.size() < budget) {
            start(next++, run.reference(), true);
        }
        String stopped = null;
        while (true) {
            run.context().checkCancelled();
            if (stopped == null) {
                stopped = stopReason();
            }
            int parallelism = Math.max(1, run.context().parallelism()); // servers come and go
            if (parallelism == 1) {
                run.publishBest(); // nothing runs meanwhile: at once, as a trial-by-trial run always did
            }
            while (stopped == null && running.size() < parallelism && run.count() + running.size() < budget) {
                int number = next++;
                Map<String, String> choices = run.propose(sampler, number,
                        running.values().stream().map(Running::choices).toList());
                if (run.measuredBefore(choices) != null) {
                    run.record(number, choices, false, null); // POT: a repeat counts, with the earlier result
                    stopped = stopReason();
                } else {
                    start(number, choices, false);
                }
            }
            run.publishBest(); // after the next trials went out: the other servers measure while this one builds it
            if (running.isEmpty()) {
                break;
            }
            for (Running done : awaitAny()) {
                running.remove(done.number());
                TrialMeasurement measurement;
                try {
                    measurement = done.result().get();
                } catch (ExecutionException e) {
                    cancelRunning();
                    Throwable cause = e.getCause();
                    if (cause instanceof Exception exception) {
                        throw exception;
                    }
                    throw new Pot4jException("INTERNAL_ERROR", "trial " + done.number() + " failed: " + cause, cause);
                }
                run.record(done.number(), done.choices(), done.reference(), measurement);
            }
        }
        if (run.settings().stopOnTarget() && run.targetReached()) {
            return "stop_on_target";
        }
        return stopped == null ? "max_trials" : stopped;
    }

    private String stopReason() {
        TpeSettings settings = run.settings();
        if (settings.maxMinutes() > 0 && (System.nanoTime() - start) / 6e10 >= settings.maxMinutes()) {
            return "max_minutes";
        }
        if (settings.stopOnTarget() && run.targetReached()) {
            return "stop_on_target";
        }
        return null;
    }

    private void start(int number, Map<String, String> choices, boolean reference) {
        running.put(number, new Running(number, choices, reference,
                run.context().measureAsync(number, choices, run.settings().benchmark())));
    }

    /** The finished trials, in trial order, once at least one has finished; checks for a cancel meanwhile. */
    private List<Running> awaitAny() throws Exception {
        while (true) {
            List<Running> done = new ArrayList<>();
            for (Running r : running.values()) {
                if (r.result().isDone()) {
                    done.add(r);
                }
            }
            if (!done.isEmpty()) {
                return done;
            }
            if (run.context().isCancelled()) {
                cancelRunning();
                run.context().checkCancelled();
            }
            try {
                CompletableFuture.anyOf(running.values().stream().map(Running::result)
                        .toArray(CompletableFuture[]::new)).get(200, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // checked above on the next round
            }
        }
    }

    private void cancelRunning() {
        running.values().forEach(r -> r.result().cancel(false));
    }
}
