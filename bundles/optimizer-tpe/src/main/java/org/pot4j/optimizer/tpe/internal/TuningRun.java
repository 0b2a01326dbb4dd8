package org.pot4j.optimizer.tpe.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pot4j.api.InvalidInputException;
import org.pot4j.api.optimizer.OptimizationContext;
import org.pot4j.api.optimizer.SearchParameter;
import org.pot4j.api.optimizer.TrialMeasurement;

/**
 * One Tpe run: loads or clears the trial log as {@code trials_load_method} says, measures the
 * reference configuration first (it fixes the loss scales), then asks the sampler for trials until
 * {@code max_trials}, {@code max_minutes} or, with {@code stop_on_target}, the target. A choice set
 * already measured is not measured again (POT): its result is reused and the trial counted. Every
 * trial is logged before the next starts; every improvement of the best is published as a snapshot.
 */
final class TuningRun {
    static final String SPACE_TYPE = "search_space";
    static final String END_TYPE = "end";
    static final int ATTEMPTS = 16;

    private final OptimizationContext context;
    private final TpeSettings settings;
    private final List<SearchParameter> space;
    private final List<TrialRecord> trials = new ArrayList<>();
    private final Map<String, TrialRecord> measured = new LinkedHashMap<>();
    private final java.util.Set<Integer> numbers = new java.util.HashSet<>();
    /** A trial that became the best and whose snapshot is not published yet ({@link #publishBest}). */
    private TrialRecord newBest;
    private PotLoss loss;
    private TrialRanking.Scored best;
    private Integer trialsToTarget;
    private String metric;
    private boolean higherIsBetter = true;
    private final long started = System.nanoTime();
    private int measuredNow;

    TuningRun(OptimizationContext context, TpeSettings settings) {
        this.context = context;
        this.settings = settings;
        this.space = context.searchSpace();
    }

    Map<String, String> run() throws Exception {
        long start = System.nanoTime();
        String method = settings.loadMethod();
        int fromLog = load(method);
        String stopped = "max_trials";
        if (method.equals("eval")) {
            if (trials.isEmpty()) {
                throw new InvalidInputException(context.parameters().pathOf("trials_load_method"), method,
                        "eval rebuilds the best model of the trial log, and " + context.trialLogLocation()
                                + " has no trials: run cold_start first");
            }
            stopped = "eval: no new trials";
        } else {
            int budget = method.equals("fine_tune") ? trials.size() + settings.maxTrials() : settings.maxTrials();
            TpeSampler sampler = sampler(method.equals("fine_tune") ? 0 : settings.startupTrials());
            stopped = new ParallelTrials(this, budget, start).run(sampler);
        }
        rescore();
        report(fromLog, stopped, (System.nanoTime() - start) / 1e9);
        context.appendTrialLog(Map.of("type", END_TYPE, "job_id", context.jobId(), "trials", trials.size()));
        return new TreeMap<>(best.trial().choices());
    }

    /**
     * Reads (or, for cold_start, deletes) the log; returns how many trials came from it. A log that this same job
     * started and did not end (its server died, or stopped, and the job was delivered again) is continued whatever
     * the load method: a cold start of the job is the run the log holds. Trials measured by other servers that
     * the job's earlier owner did not get to record are recorded now (their event, their loss).
     */
    private int load(String method) throws Exception {
        List<Map<String, Object>> log = method.equals("cold_start") ? interruptedRunOfThisJob() : context.readTrialLog();
        if (method.equals("cold_start") && log.isEmpty()) {
            context.clearTrialLog();
        }
        if (log.isEmpty()) {
            if (!method.equals("cold_start") && !method.equals("eval")) {
                context.warning("trials_load_method " + method + ": no trial log at " + context.trialLogLocation()
                        + ", starting with no trials");
            }
            if (!method.equals("eval")) {
                Map<String, Object> header = new LinkedHashMap<>();
                header.put("type", SPACE_TYPE);
                header.put("job_id", context.jobId());
                header.put("parameters", spaceAsLog());
                context.appendTrialLog(header);
            }
            return 0;
        }
        List<TrialRecord> unconfirmed = new ArrayList<>();
        Map<Integer, TrialRecord> byNumber = new TreeMap<>();
        for (Map<String, Object> record : log) {
            if (SPACE_TYPE.equals(record.get("type"))) {
                if (!spaceAsLog().equals(record.get("parameters"))) {
                    throw new InvalidInputException(context.parameters().pathOf("trials_load_method"), method,
                            "the trial log " + context.trialLogLocation() + " was written for another search space"
                                    + " (other layers or choices): use cold_start, or the job that wrote it");
                }
            } else if (TrialRecord.TYPE.equals(record.get("type"))) {
                TrialRecord trial = TrialRecord.fromLog(record);
                if (byNumber.put(trial.number(), trial) == null && !record.containsKey("loss")) {
                    unconfirmed.add(trial);
                }
            }
        }
        for (TrialRecord trial : byNumber.values()) {
            if (!unconfirmed.contains(trial)) {
                add(trial);
            }
        }
        if (!trials.isEmpty() || !unconfirmed.isEmpty()) {
            chooseMetric((trials.isEmpty() ? unconfirmed.get(0) : trials.get(0)).metrics().keySet());
        }
        if (!trials.isEmpty()) {
            fixScales();
        }
        // measured by a server of the group and logged there, but the job's owner died before it recorded them
        for (TrialRecord trial : unconfirmed) {
            record(trial.number(), trial.choices(), trial.reference(), new TrialMeasurement(trial.metrics(),
                    trial.fp32Metrics(), Map.of(metric, higherIsBetter), trial.latencyRatio(), trial.quantizedFraction(),
                    trial.seconds(), trial.server()));
        }
        publishBest();
        return trials.size();
    }

    /** For cold_start: the log when it holds an unended run of this very job (it is continued), else nothing. */
    private List<Map<String, Object>> interruptedRunOfThisJob() {
        List<Map<String, Object>> log = context.readTrialLog();
        boolean ours = log.stream().anyMatch(r -> SPACE_TYPE.equals(r.get("type"))
                && context.jobId().equals(r.get("job_id")));
        boolean ended = log.stream().anyMatch(r -> END_TYPE.equals(r.get("type")));
        if (!ours || ended) {
            return List.of();
        }
        long logged = log.stream().filter(r -> TrialRecord.TYPE.equals(r.get("type"))).count();
        context.warning("job " + context.jobId() + " was interrupted (its server stopped or died) with " + logged
                + " trial(s) in " + context.trialLogLocation() + ": continuing that run, not starting over");
        return log;
    }

    private void add(TrialRecord trial) {
        trials.add(trial);
        numbers.add(trial.number());
        measured.putIfAbsent(trial.key(), trial);
    }

    private List<Map<String, Object>> spaceAsLog() {
        List<Map<String, Object>> parameters = new ArrayList<>();
        for (SearchParameter p : space) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", p.name());
            entry.put("choices", p.choices());
            entry.put("reference", p.reference());
            parameters.add(entry);
        }
        return parameters;
    }

    /**
     * The sampler's proposal for trial {@code number} while {@code running} are being measured (constant liar: they
     * count as the worst); with {@code avoid_repeats}, when {@value #ATTEMPTS} draws in a row give configurations
     * measured or running (TPE exploits hard, and POT counted each repeat as a trial), a random unmeasured one; a
     * repeat only when none is found.
     */
    Map<String, String> propose(TpeSampler sampler, int number, Collection<Map<String, String>> running) {
        List<TpeSampler.Observation> observations = loss == null ? List.of() : observations();
        List<int[]> pending = running.stream().map(this::indices).toList();
        java.util.Set<String> taken = new java.util.HashSet<>(measured.keySet());
        running.forEach(choices -> taken.add(new TreeMap<>(choices).toString()));
        Map<String, String> choices = null;
        for (int attempt = 0; attempt < (settings.avoidRepeats() ? ATTEMPTS : 1); attempt++) {
            choices = choices(sampler.propose(number, attempt, observations, pending));
            if (!taken.contains(new TreeMap<>(choices).toString())) {
                return choices;
            }
        }
        if (settings.avoidRepeats()) {
            // the good model has collapsed onto measured configurations: explore one at random instead
            java.util.SplittableRandom random = new java.util.SplittableRandom(settings.seed() * 31 + number);
            for (int attempt = 0; attempt < ATTEMPTS * 4; attempt++) {
                int[] proposal = new int[space.size()];
                for (int p = 0; p < proposal.length; p++) {
                    proposal[p] = random.nextInt(space.get(p).choices().size());
                }
                Map<String, String> candidate = choices(proposal);
                if (!taken.contains(new TreeMap<>(candidate).toString())) {
                    return candidate;
                }
            }
        }
        return choices;
    }

    Map<String, String> reference() {
        Map<String, String> choices = new TreeMap<>();
        space.forEach(p -> choices.put(p.name(), p.reference()));
        return choices;
    }

    private Map<String, String> choices(int[] proposal) {
        Map<String, String> choices = new TreeMap<>();
        for (int p = 0; p < space.size(); p++) {
            choices.put(space.get(p).name(), space.get(p).choices().get(proposal[p]));
        }
        return choices;
    }

    private TpeSampler sampler(int startup) {
        int[] sizes = space.stream().mapToInt(p -> p.choices().size()).toArray();
        int smallest = TpeSampler.smallestChoiceCount(sizes);
        return new TpeSampler(sizes, new TpeSampler.Config(startup, settings.gamma(),
                settings.eiCandidates() != null ? settings.eiCandidates() : smallest,
                settings.priorWeight() != null ? settings.priorWeight() : 1.0 / smallest,
                settings.linearForgetting(), settings.multivariate(), settings.constantLiar()), settings.seed());
    }

    private List<TpeSampler.Observation> observations() {
        List<TrialRecord> ordered = new ArrayList<>(trials);
        ordered.sort(java.util.Comparator.comparingInt(TrialRecord::number)); // linear forgetting: by trial number
        List<TpeSampler.Observation> observations = new ArrayList<>();
        for (TrialRecord trial : ordered) {
            observations.add(new TpeSampler.Observation(indices(trial.choices()), loss.of(trial.accuracyLoss(),
                    trial.speedup(), trial.quantizedFraction())));
        }
        return observations;
    }

    private int[] indices(Map<String, String> choices) {
        int[] indices = new int[space.size()];
        for (int p = 0; p < space.size(); p++) {
            indices[p] = space.get(p).choices().indexOf(choices.get(space.get(p).name()));
        }
        return indices;
    }

    /** The result of an earlier trial of the same choices (POT reuses it), else null. */
    TrialRecord measuredBefore(Map<String, String> choices) {
        return measured.get(new TreeMap<>(choices).toString());
    }

    /** Trials recorded so far. */
    int count() {
        return trials.size();
    }

    boolean recorded(int number) {
        return numbers.contains(number);
    }

    /** The next trial number after every recorded one. */
    int nextNumber() {
        return numbers.isEmpty() ? 0 : java.util.Collections.max(numbers) + 1;
    }

    boolean hasReference() {
        return trials.stream().anyMatch(TrialRecord::reference);
    }

    boolean targetReached() {
        return trialsToTarget != null;
    }

    OptimizationContext context() {
        return context;
    }

    TpeSettings settings() {
        return settings;
    }

    /**
     * Records trial {@code number}: {@code m} its measurement, null when {@code choices} were measured before (the
     * earlier result is reused). Logs it, says it (an event), and publishes a new best as a snapshot. A number
     * recorded before is not recorded again (a duplicate delivery).
     */
    void record(int number, Map<String, String> choices, boolean reference, TrialMeasurement m) throws Exception {
        if (numbers.contains(number)) {
            return;
        }
        TrialRecord previous = measured.get(new TreeMap<>(choices).toString());
        TrialRecord trial;
        if (m == null) {
            trial = new TrialRecord(number, choices, previous.metrics(), previous.fp32Metrics(),
                    previous.accuracyLoss(), previous.latencyRatio(), previous.quantizedFraction(), 0, reference,
                    true, previous.server());
        } else {
            if (metric == null) {
                chooseMetric(m.metrics().keySet());
            }
            higherIsBetter = m.higherIsBetter().getOrDefault(metric, higherIsBetter);
            trial = new TrialRecord(number, choices, m.metrics(), m.fp32Metrics(), accuracyLoss(m), m.latencyRatio(),
                    m.quantizedFraction(), m.seconds(), reference, false, m.server());
            measuredNow++;
        }
        add(trial);
        if (loss == null || reference) { // trials run in parallel: the reference may come after others
            fixScales();
        }
        double value = loss.of(trial.accuracyLoss(), trial.speedup(), trial.quantizedFraction());
        context.appendTrialLog(trial.toLog(context.jobId(), value));
        if (trialsToTarget == null && TrialRanking.meetsTarget(trial, settings.accuracyThreshold(),
                settings.latencyThreshold())) {
            trialsToTarget = trials.size();
        }
        TrialRanking.Scored previousBest = best;
        rescore();
        boolean improved = previousBest == null || best.trial() != previousBest.trial();
        Map<String, Object> summary = summary(trial, value);
        context.trial(trials.size(), budgetForEvents(), TrialLine.format(trials.size(), budgetForEvents(), summary),
                summary, trial.metrics());
        if (improved) {
            newBest = trial;
        }
    }

    /**
     * Publishes the model of the newest best trial as a snapshot, when one came since the last call: it rebuilds
     * the model on the job's thread, so the trial loop first sends out the next trials and then calls this.
     */
    void publishBest() throws Exception {
        TrialRecord trial = newBest;
        newBest = null;
        if (trial != null) {
            context.snapshot("trial " + trial.number() + " (best)", trial.choices(), trial.metrics());
        }
    }

    private long budgetForEvents() {
        return settings.loadMethod().equals("fine_tune") ? Math.max(trials.size(), settings.maxTrials())
                : settings.maxTrials();
    }

    private void rescore() {
        List<TrialRanking.Scored> scored = new ArrayList<>();
        for (TrialRecord trial : trials) {
            scored.add(new TrialRanking.Scored(trial, loss.of(trial.accuracyLoss(), trial.speedup(),
                    trial.quantizedFraction())));
        }
        best = TrialRanking.best(scored, settings.accuracyThreshold()).orElse(null);
    }

    private void chooseMetric(java.util.Set<String> available) {
        if (settings.metric() == null) {
            metric = available.iterator().next();
        } else if (!available.contains(settings.metric())) {
            throw new InvalidInputException(context.parameters().pathOf("metrics") + "[0].name", settings.metric(),
                    "one of the job's metrics: " + String.join(", ", available));
        } else {
            metric = settings.metric();
        }
    }

    /** POT: (FP32 − INT8) / FP32 of the optimised metric, FP32 being baseline_value when given. */
    private double accuracyLoss(TrialMeasurement m) {
        double fp32 = settings.baseline() != null ? settings.baseline() : m.fp32Metrics().get(metric);
        double value = m.metrics().get(metric);
        double drop = higherIsBetter ? fp32 - value : value - fp32;
        return fp32 == 0 ? drop : drop / Math.abs(fp32);
    }

    private void fixScales() {
        TrialRecord reference = trials.stream().filter(TrialRecord::reference).findFirst().orElse(trials.get(0));
        loss = PotLoss.fromReference(settings.accuracyThreshold(), settings.latencyThreshold(),
                settings.accuracyWeight(), settings.latencyWeight(), settings.expectedQuantizationRatio(),
                settings.quantizationRatioWeight(), reference.accuracyLoss(), reference.speedup());
    }

    private Map<String, Object> summary(TrialRecord trial, double value) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("trial", trial.number());
        summary.put("choices", countChoices(trial.choices()));
        summary.put("metric", metric);
        summary.put("accuracy", trial.metrics().get(metric));
        summary.put("accuracy_loss", trial.accuracyLoss());
        summary.put("latency_ratio", Double.isFinite(trial.latencyRatio()) ? trial.latencyRatio() : null);
        summary.put("loss", value);
        summary.put("cached", trial.cached());
        if (trial.server() != null) {
            summary.put("server", trial.server()); // the server of the group that measured it
        }
        summary.put("best_trial", best.trial().number());
        summary.put("best_loss", best.loss());
        if (measuredNow > 0) {
            double perTrial = (System.nanoTime() - started) / 1e9 / measuredNow;
            summary.put("seconds_left", perTrial * Math.max(0, budgetForEvents() - trials.size()));
        }
        return summary;
    }

    /** How many parameters took each choice: a short summary of a configuration. */
    static Map<String, Integer> countChoices(Map<String, String> choices) {
        Map<String, Integer> counts = new TreeMap<>();
        choices.values().forEach(choice -> counts.merge(choice, 1, Integer::sum));
        return counts;
    }

    private void report(int fromLog, String stopped, double seconds) {
        List<Map<String, Object>> table = new ArrayList<>();
        for (TrialRecord trial : trials) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("trial", trial.number());
            row.put(metric, trial.metrics().get(metric));
            row.put("accuracy_loss", trial.accuracyLoss());
            row.put("latency_ratio", Double.isFinite(trial.latencyRatio()) ? trial.latencyRatio() : null);
            row.put("loss", loss.of(trial.accuracyLoss(), trial.speedup(), trial.quantizedFraction()));
            row.put("choices", countChoices(trial.choices()));
            row.put("cached", trial.cached());
            table.add(row);
        }
        List<Map<String, Object>> front = new ArrayList<>();
        for (TrialRecord trial : TrialRanking.paretoFront(trials)) {
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("trial", trial.number());
            point.put("accuracy_loss", trial.accuracyLoss());
            point.put("latency_ratio", Double.isFinite(trial.latencyRatio()) ? trial.latencyRatio() : null);
            front.add(point);
        }
        Map<String, Object> tpe = new LinkedHashMap<>();
        tpe.put("trials_load_method", settings.loadMethod());
        tpe.put("trial_log", context.trialLogLocation());
        tpe.put("trials_from_log", fromLog);
        tpe.put("trials_run", trials.size() - fromLog);
        tpe.put("stopped_by", stopped);
        tpe.put("seconds", Math.round(seconds * 1000) / 1000.0);
        tpe.put("metric", metric);
        tpe.put("accuracy_threshold", settings.accuracyThreshold());
        tpe.put("latency_threshold", settings.latencyThreshold());
        tpe.put("trials_to_target", trialsToTarget);
        tpe.put("best_trial", best.trial().number());
        tpe.put("best_accuracy_loss", best.trial().accuracyLoss());
        tpe.put("best_latency_ratio", Double.isFinite(best.trial().latencyRatio()) ? best.trial().latencyRatio() : null);
        tpe.put("pareto_front", front);
        tpe.put("trials", table);
        context.report("tpe", tpe);
    }
}
