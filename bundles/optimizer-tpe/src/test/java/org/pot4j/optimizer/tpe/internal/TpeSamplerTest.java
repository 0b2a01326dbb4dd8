package org.pot4j.optimizer.tpe.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The sampler on problems whose answer is known, with POT's settings unless a test says otherwise. */
class TpeSamplerTest {

    private static TpeSampler.Config pot(int smallestChoices, boolean multivariate, boolean liar) {
        return new TpeSampler.Config(10, 0.3, smallestChoices, 1.0 / smallestChoices, 25, multivariate, liar);
    }

    /** Sequential tuning of {@code loss}; returns the proposals in order. */
    private static List<int[]> tune(TpeSampler sampler, int trials, java.util.function.ToDoubleFunction<int[]> loss) {
        List<TpeSampler.Observation> done = new ArrayList<>();
        List<int[]> proposals = new ArrayList<>();
        for (int n = 0; n < trials; n++) {
            int[] choices = sampler.propose(n, done, List.of());
            proposals.add(choices);
            done.add(new TpeSampler.Observation(choices, loss.applyAsDouble(choices)));
        }
        return proposals;
    }

    @Test
    void sameSeedSameProposalsOtherSeedOtherProposals() {
        int[] sizes = {4, 4, 2, 3, 4};
        java.util.function.ToDoubleFunction<int[]> loss = c -> c[0] + 0.5 * c[1] + (c[2] == 1 ? 0 : 2) + 0.1 * c[3];
        for (boolean multivariate : new boolean[] {false, true}) {
            List<int[]> first = tune(new TpeSampler(sizes, pot(2, multivariate, false), 7), 40, loss);
            List<int[]> again = tune(new TpeSampler(sizes, pot(2, multivariate, false), 7), 40, loss);
            List<int[]> other = tune(new TpeSampler(sizes, pot(2, multivariate, false), 8), 40, loss);
            for (int i = 0; i < first.size(); i++) {
                assertArrayEquals(first.get(i), again.get(i), "trial " + i + ", multivariate " + multivariate);
            }
            boolean differs = false;
            for (int i = 0; i < first.size(); i++) {
                differs |= !java.util.Arrays.equals(first.get(i), other.get(i));
            }
            assertTrue(differs, "another seed should give other proposals");
        }
    }

    /**
     * One parameter of 4 choices, choice 2 has the lowest loss (noisy): after the 10 random startup trials TPE
     * proposes it far more often than chance (1/4), over 20 seeds.
     */
    @Test
    void proposesTheBetterChoiceMoreOftenThanChanceAfterStartup() {
        for (boolean multivariate : new boolean[] {false, true}) {
            int best = 0;
            int total = 0;
            for (long seed = 0; seed < 20; seed++) {
                SplittableRandom noise = new SplittableRandom(seed + 100);
                List<int[]> proposals = tune(new TpeSampler(new int[] {4}, pot(4, multivariate, false), seed), 40,
                        c -> (c[0] == 2 ? 0.0 : 1.0) + 0.3 * noise.nextDouble());
                for (int i = 10; i < proposals.size(); i++) {
                    total++;
                    best += proposals.get(i)[0] == 2 ? 1 : 0;
                }
            }
            double share = (double) best / total;
            // chance is 0.25; 600 proposals make 0.5 about 14 standard deviations above it
            assertTrue(share > 0.5, "share of the best choice after startup " + share + ", multivariate " + multivariate);
        }
    }

    @Test
    void startupTrialsAreUniform() {
        TpeSampler sampler = new TpeSampler(new int[] {4}, pot(4, false, false), 3);
        int[] counts = new int[4];
        for (int n = 0; n < 4000; n++) {
            counts[sampler.propose(n, List.of(), List.of())[0]]++;
        }
        for (int count : counts) {
            assertTrue(count > 850 && count < 1150, java.util.Arrays.toString(counts));
        }
    }

    /**
     * Four workers ask for trials while none has finished: with the constant liar each running trial counts as bad,
     * so the four proposals spread over more distinct configurations than without it.
     */
    @Test
    void constantLiarSpreadsParallelProposals() {
        int[] sizes = {2, 2, 2, 2, 2, 2};
        java.util.function.ToDoubleFunction<int[]> loss = c -> java.util.Arrays.stream(c).sum();
        int distinctWithLiar = 0;
        int distinctWithout = 0;
        for (long seed = 0; seed < 30; seed++) {
            for (boolean liar : new boolean[] {true, false}) {
                TpeSampler sampler = new TpeSampler(sizes, pot(2, false, liar), seed);
                List<TpeSampler.Observation> done = new ArrayList<>();
                SplittableRandom random = new SplittableRandom(seed);
                for (int n = 0; n < 20; n++) {
                    int[] c = new int[sizes.length];
                    for (int p = 0; p < c.length; p++) {
                        c[p] = random.nextInt(2);
                    }
                    done.add(new TpeSampler.Observation(c, loss.applyAsDouble(c)));
                }
                List<int[]> running = new ArrayList<>();
                Set<String> distinct = new HashSet<>();
                for (int worker = 0; worker < 4; worker++) {
                    int[] proposal = sampler.propose(20 + worker, done, running);
                    running.add(proposal);
                    distinct.add(java.util.Arrays.toString(proposal));
                }
                if (liar) {
                    distinctWithLiar += distinct.size();
                } else {
                    distinctWithout += distinct.size();
                }
            }
        }
        assertTrue(distinctWithLiar > distinctWithout, "distinct proposals with liar " + distinctWithLiar
                + ", without " + distinctWithout);
    }

    @Test
    void forgettingWeightsRampOnlyBeyondTheNewest() {
        assertArrayEquals(new double[] {1, 1, 1}, TpeSampler.forgettingWeights(3, 25));
        double[] weights = TpeSampler.forgettingWeights(30, 25);
        assertEquals(1.0 / 30, weights[0], 1e-12);
        assertEquals(1.0, weights[4], 1e-12);
        for (int i = 5; i < 30; i++) {
            assertEquals(1.0, weights[i]);
        }
        assertTrue(weights[1] > weights[0] && weights[2] > weights[1]);
    }

    @Test
    void potSettingsComeFromTheSmallestChoiceCount() {
        assertEquals(2, TpeSampler.smallestChoiceCount(new int[] {1, 5, 2, 3}));
        assertEquals(4, TpeSampler.smallestChoiceCount(new int[] {4, 5}));
    }
}
