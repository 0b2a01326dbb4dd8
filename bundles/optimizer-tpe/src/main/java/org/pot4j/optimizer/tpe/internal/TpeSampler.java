package org.pot4j.optimizer.tpe.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Tree-of-Parzen-Estimators over categorical parameters, as hyperopt's {@code tpe.suggest} does it:
 * random proposals for the first {@code startupTrials}; then the {@code ceil(gamma * sqrt(n))}
 * best trials (at most {@code linearForgetting}) form the "good" model l, the others the "bad" model g;
 * each categorical model is the forgetting-weighted counts plus {@code priorWeight} per choice;
 * {@code eiCandidates} candidates drawn from l, the one with the largest log l − log g wins.
 * Univariate (hyperopt, POT): each parameter picks its candidate on its own. Multivariate (Optuna's
 * option): l and g are mixtures of one product kernel per trial plus a uniform prior kernel, so the
 * candidates are whole configurations scored jointly. Constant liar: trials still running count as
 * the worst, so parallel workers do not propose the same region. A proposal depends only on the
 * seed, the trial number and the observations: the same inputs give the same proposal.
 */
final class TpeSampler {

    /** hyperopt's knobs; POT fixes startup 10, gamma 0.3, candidates and prior from the smallest choice count. */
    record Config(int startupTrials, double gamma, int eiCandidates, double priorWeight, int linearForgetting,
                  boolean multivariate, boolean constantLiar) {
    }

    /** A finished trial: one choice index per parameter and its loss (lower is better). */
    record Observation(int[] choices, double loss) {
    }

    private final int[] sizes;
    private final Config config;
    private final long seed;

    TpeSampler(int[] sizes, Config config, long seed) {
        this.sizes = sizes.clone();
        this.config = config;
        this.seed = seed;
    }

    /** POT's rule: the smallest number of choices among parameters with more than one (2 when none has). */
    static int smallestChoiceCount(int[] sizes) {
        return Arrays.stream(sizes).filter(size -> size > 1).min().orElse(2);
    }

    /** The proposal for trial {@code number}, given the finished trials (in trial order) and the running ones. */
    int[] propose(long number, List<Observation> done, List<int[]> running) {
        return propose(number, 0, done, running);
    }

    /** As {@link #propose(long, List, List)}, from the random stream of retry {@code attempt} of trial {@code number}. */
    int[] propose(long number, int attempt, List<Observation> done, List<int[]> running) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + number * 0x100000001B3L + attempt);
        List<Observation> history = new ArrayList<>(done);
        if (config.constantLiar()) {
            running.forEach(choices -> history.add(new Observation(choices, Double.POSITIVE_INFINITY)));
        }
        if (history.size() < config.startupTrials()) {
            int[] choices = new int[sizes.length];
            for (int p = 0; p < sizes.length; p++) {
                choices[p] = random.nextInt(sizes[p]);
            }
            return choices;
        }
        int below = Math.min((int) Math.ceil(config.gamma() * Math.sqrt(history.size())), config.linearForgetting());
        below = Math.max(1, below);
        Integer[] order = new Integer[history.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // stable: equal losses keep trial order, as numpy's argsort of hyperopt
        Arrays.sort(order, Comparator.comparingDouble(i -> history.get(i).loss()));
        boolean[] good = new boolean[history.size()];
        for (int i = 0; i < below; i++) {
            good[order[i]] = true;
        }
        List<int[]> l = new ArrayList<>();
        List<int[]> g = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            (good[i] ? l : g).add(history.get(i).choices());
        }
        return config.multivariate() ? jointly(l, g, random) : independently(l, g, random);
    }

    private int[] independently(List<int[]> l, List<int[]> g, SplittableRandom random) {
        int[] choices = new int[sizes.length];
        for (int p = 0; p < sizes.length; p++) {
            double[] pl = categorical(l, p);
            double[] pg = categorical(g, p);
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < config.eiCandidates(); c++) {
                int candidate = draw(pl, random);
                double score = Math.log(pl[candidate]) - Math.log(pg[candidate]);
                if (score > bestScore) {
                    bestScore = score;
                    choices[p] = candidate;
                }
            }
        }
        return choices;
    }

    /** hyperopt's ap_categorical posterior: linear-forgetting-weighted counts plus the prior weight, normalized. */
    double[] categorical(List<int[]> observations, int parameter) {
        double[] weights = forgettingWeights(observations.size(), config.linearForgetting());
        double[] counts = new double[sizes[parameter]];
        Arrays.fill(counts, config.priorWeight());
        for (int i = 0; i < observations.size(); i++) {
            counts[observations.get(i)[parameter]] += weights[i];
        }
        double sum = Arrays.stream(counts).sum();
        for (int c = 0; c < counts.length; c++) {
            counts[c] /= sum;
        }
        return counts;
    }

    /** hyperopt: the newest {@code lf} weigh 1; older ones ramp linearly from 1/n up. */
    static double[] forgettingWeights(int n, int lf) {
        double[] weights = new double[n];
        Arrays.fill(weights, 1.0);
        if (n > lf) {
            int ramp = n - lf;
            for (int i = 0; i < ramp; i++) {
                weights[i] = ramp == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (ramp - 1);
            }
        }
        return weights;
    }

    private int[] jointly(List<int[]> l, List<int[]> g, SplittableRandom random) {
        Mixture below = new Mixture(l);
        Mixture above = new Mixture(g);
        int[] best = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < config.eiCandidates(); c++) {
            int[] candidate = below.sample(random);
            double score = below.logDensity(candidate) - above.logDensity(candidate);
            if (score > bestScore) {
                bestScore = score;
                best = candidate;
            }
        }
        return best;
    }

    /** Optuna's multivariate Parzen estimator for categorical parameters: one kernel per observation, one prior. */
    private final class Mixture {
        private final double[] weights;
        /** [kernel][parameter][choice] probabilities; the last kernel is the uniform prior. */
        private final double[][][] kernels;

        Mixture(List<int[]> observations) {
            int n = observations.size();
            double[] forgetting = forgettingWeights(n, config.linearForgetting());
            weights = new double[n + 1];
            System.arraycopy(forgetting, 0, weights, 0, n);
            weights[n] = config.priorWeight();
            double total = Arrays.stream(weights).sum();
            for (int k = 0; k <= n; k++) {
                weights[k] /= total;
            }
            kernels = new double[n + 1][sizes.length][];
            for (int k = 0; k <= n; k++) {
                for (int p = 0; p < sizes.length; p++) {
                    double[] row = new double[sizes[p]];
                    Arrays.fill(row, config.priorWeight() / (n + 1));
                    if (k < n) {
                        row[observations.get(k)[p]] += 1;
                    }
                    double sum = Arrays.stream(row).sum();
                    for (int c = 0; c < row.length; c++) {
                        row[c] /= sum;
                    }
                    kernels[k][p] = row;
                }
            }
        }

        int[] sample(SplittableRandom random) {
            int k = draw(weights, random);
            int[] choices = new int[sizes.length];
            for (int p = 0; p < sizes.length; p++) {
                choices[p] = draw(kernels[k][p], random);
            }
            return choices;
        }

        double logDensity(int[] choices) {
            double max = Double.NEGATIVE_INFINITY;
            double[] terms = new double[weights.length];
            for (int k = 0; k < weights.length; k++) {
                double term = Math.log(weights[k]);
                for (int p = 0; p < sizes.length; p++) {
                    term += Math.log(kernels[k][p][choices[p]]);
                }
                terms[k] = term;
                max = Math.max(max, term);
            }
            double sum = 0;
            for (double term : terms) {
                sum += Math.exp(term - max);
            }
            return max + Math.log(sum);
        }
    }

    private static int draw(double[] probabilities, SplittableRandom random) {
        double u = random.nextDouble();
        double cumulative = 0;
        for (int c = 0; c < probabilities.length; c++) {
            cumulative += probabilities[c];
            if (u < cumulative) {
                return c;
            }
        }
        return probabilities.length - 1;
    }
}
