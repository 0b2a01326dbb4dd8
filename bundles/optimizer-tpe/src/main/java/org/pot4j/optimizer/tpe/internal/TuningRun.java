package org.pot4j.optimizer.tpe.internal;

import java.util.ArrayList;
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
    static final int ATTEMPTS = 16;

    private final OptimizationContext context;
    private final TpeSettings settings;
    private final List<SearchParameter> space;
    private final List<TrialRecord> trials = new ArrayList<>();
    private final Map<String, TrialRecord> measured = new LinkedHashMap<>();
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
            if (trials.stream().noneMatch(TrialRecord::reference) && trials.size() < budget) {
                runTrial(reference(), true);
            }
            TpeSampler sampler = sampler(method.equals("fine_tune") ? 0 : settings.startupTrials());
            while (trials.size() < budget) {
                context.checkCancelled();
                if (settings.maxMinutes() > 0 && (System.nanoTime() - start) / 6e10 >= settings.maxMinutes()) {
                    stopped = "max_minutes";
                    break;
                }
                if (settings.stopOnTarget() && trialsToTarget != null) {
                    stopped = "stop_on_target";
                    break;
                }
                runTrial(propose(sampler), false);
            }
            if (settings.stopOnTarget() && trialsToTarget != null) {
                stopped = "stop_on_target";
            }
        }
        rescore();
        report(fromLog, stopped, (System.nanoTime() - start) / 1e9);
        return new TreeMap<>(best.trial().choices());
    }

    /** Reads (or, for cold_start, deletes) the log; returns how many trials came from it. */
    private int load(String method) {
        if (method.equals("cold_start")) {
            context.clearTrialLog();
        }
        List<Map<String, Object>> log = method.equals("cold_start") ? List.of() : context.readTrialLog();
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
        for (Map<String, Object> record : log) {
            if (SPACE_TYPE.equals(record.get("type"))) {
                if (!spaceAsLog().equals(record.get("parameters"))) {
                    throw new InvalidInputException(context.parameters().pathOf("trials_load_method"), method,
                            "the trial log " + context.trialLogLocation() + " was written for another search space"
                                    + " (other layers or choices): use cold_start, or the job that wrote it");
                }
            } else if (TrialRecord.TYPE.equals(record.get("type"))) {
                TrialRecord trial = TrialRecord.fromLog(record);
                trials.add(trial);
                measured.putIfAbsent(trial.key(), trial);
            }
        }
        if (!trials.isEmpty()) {
            chooseMetric(trials.get(0).metrics().keySet());
            fixScales();
        }
        return trials.size();
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
     * The sampler's proposal; with {@code avoid_repeats}, when {@value #ATTEMPTS} draws in a row give configurations
     * measured before (TPE exploits hard, and POT counted each repeat as a trial), a random unmeasured one; a
     * repeat only when none is found.
     */
    private Map<String, String> propose(TpeSampler sampler) {
        List<TpeSampler.Observation> observations = observations();
        Map<String, String> choices = null;
        for (int attempt = 0; attempt < (settings.avoidRepeats() ? ATTEMPTS : 1); attempt++) {
            choices = choices(sampler.propose(trials.size(), attempt, observations, List.of()));
            if (!measured.containsKey(new TreeMap<>(choices).toString())) {
                return choices;
            }
        }
        if (settings.avoidRepeats()) {
            // the good model has collapsed onto measured configurations: explore one at random instead
            java.util.SplittableRandom random = new java.util.SplittableRandom(settings.seed() * 31 + trials.size());
            for (int attempt = 0; attempt < ATTEMPTS * 4; attempt++) {
                int[] proposal = new int[space.size()];
                for (int p = 0; p < proposal.length; p++) {
                    proposal[p] = random.nextInt(space.get(p).choices().size());
                }
                Map<String, String> candidate = choices(proposal);
                if (!measured.containsKey(new TreeMap<>(candidate).toString())) {
                    return candidate;
                }
            }
        }
        return choices;
    }

    private Map<String, String> reference() {
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
        List<TpeSampler.Observation> observations = new ArrayList<>();
        for (TrialRecord trial : trials) {
            int[] indices = new int[space.size()];
            for (int p = 0; p < space.size(); p++) {
                indices[p] = space.get(p).choices().indexOf(trial.choices().get(space.get(p).name()));
            }
            observations.add(new TpeSampler.Observation(indices, loss.of(trial.accuracyLoss(), trial.speedup(),
                    trial.quantizedFraction())));
        }
        return observations;
    }

    private void runTrial(Map<String, String> choices, boolean reference) throws Exception {
        int number = trials.size();
        String key = new TreeMap<>(choices).toString();
        TrialRecord previous = measured.get(key);
        TrialRecord trial;
        if (previous != null) {
            trial = new TrialRecord(number, choices, previous.metrics(), previous.fp32Metrics(),
                    previous.accuracyLoss(), previous.latencyRatio(), previous.quantizedFraction(), 0, reference,
                    true, previous.server());
        } else {
            TrialMeasurement m = context.measure(choices, settings.benchmark());
            if (metric == null) {
                chooseMetric(m.metrics().keySet());
                higherIsBetter = m.higherIsBetter().getOrDefault(metric, true);
            }
            trial = new TrialRecord(number, choices, m.metrics(), m.fp32Metrics(), accuracyLoss(m), m.latencyRatio(),
                    m.quantizedFraction(), m.seconds(), reference, false, null);
            measured.put(key, trial);
            measuredNow++;
        }
        trials.add(trial);
        if (loss == null) {
            fixScales();
        }
        double value = loss.of(trial.accuracyLoss(), trial.speedup(), trial.quantizedFraction());
        context.appendTrialLog(trial.toLog(context.jobId(), value));
        if (trialsToTarget == null && TrialRanking.meetsTarget(trial, settings.accuracyThreshold(),
                settings.latencyThreshold())) {
            trialsToTarget = number + 1;
        }
        TrialRanking.Scored previousBest = best;
        rescore();
        boolean improved = previousBest == null || best.trial() != previousBest.trial();
        Map<String, Object> summary = summary(trial, value);
        context.trial(number + 1, budgetForEvents(), TrialLine.format(number + 1, budgetForEvents(), summary), summary,
                trial.metrics());
        if (improved) {
            context.snapshot("trial " + number + " (best)", trial.choices(), trial.metrics());
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
