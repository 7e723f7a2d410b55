package dev.flood.sampling;

import dev.flood.api.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplingStateTest {

    private static final int VOCAB = 151_936;
    private final long runSeed = RandomLogits.freshSeed();

    @Test
    void repetitionPenaltyRecordsPromptAndGeneratedIds() {
        SamplingParams params = SamplingParams.builder().temperature(0.7).repetitionPenalty(1.3).build();
        SamplingState state = new SamplingState(params, 5, 19, new int[] {4, 7, 4, 18});
        state.accept(7);
        state.accept(2);
        TokenCounts tokens = state.tokens();
        assertEquals(4, tokens.size());
        for (int id : new int[] {2, 4, 7, 18}) {
            assertTrue(tokens.contains(id), "id " + id);
        }
        assertFalse(tokens.contains(3));
        assertEquals(2, state.numGenerated());
    }

    @Test
    void presenceAndFrequencyCountGeneratedIdsOnly() {
        SamplingParams params = SamplingParams.builder().temperature(1).frequencyPenalty(0.5).build();
        SamplingState state = new SamplingState(params, 5, 19, new int[] {4, 7, 4});
        for (int id : new int[] {7, 2, 7, 7}) {
            state.accept(id);
        }
        assertEquals(3, state.tokens().count(7));
        assertEquals(1, state.tokens().count(2));
        assertFalse(state.tokens().contains(4), "prompt ids are not counted for presence/frequency penalties");
        assertEquals(4, state.numGenerated());
    }

    @Test
    void bothPenaltiesShareOneTableWithPromptIdsAtCountZero() {
        SamplingParams params = SamplingParams.builder().temperature(1).repetitionPenalty(1.1)
                .presencePenalty(0.3).build();
        SamplingState state = new SamplingState(params, 5, 19, new int[] {4, 11});
        state.accept(11);
        assertEquals(0, state.tokens().count(4));
        assertTrue(state.tokens().contains(4));
        assertEquals(1, state.tokens().count(11));
    }

    @Test
    void withoutPenaltiesNothingIsRecorded() {
        SamplingState state = new SamplingState(SamplingParams.greedy(8), 5, 19, new int[] {1, 2, 3});
        state.accept(5);
        assertEquals(0, state.tokens().size());
        assertEquals(1, state.numGenerated());
    }

    @Test
    void memoryFollowsDistinctIdsNotVocabulary() {
        SplittableRandom rng = new SplittableRandom(runSeed);
        int numDistinct = 301;
        int[] distinct = rng.ints(numDistinct * 3L, 0, VOCAB).distinct().limit(numDistinct).toArray();
        int[] prompt = new int[5_003];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = distinct[rng.nextInt(numDistinct)];
        }
        prompt[0] = distinct[0];
        SamplingParams params = SamplingParams.builder().repetitionPenalty(1.2).build();
        SamplingState state = new SamplingState(params, 5, VOCAB, prompt);
        int size = state.tokens().size();
        assertTrue(size <= numDistinct, "seed " + runSeed + ": " + size);
        // At most half full after growth, and never more than 4x the ids: 301 distinct ids fit 1,024 slots.
        assertTrue(state.tokens().capacity() <= 4 * Math.max(size, 4), "seed " + runSeed + ": capacity "
                + state.tokens().capacity() + " for " + size + " ids");
    }

    @Test
    void tokenCountsMatchAHashMapThroughGrowth() {
        SplittableRandom rng = new SplittableRandom(runSeed);
        TokenCounts table = new TokenCounts();
        Map<Integer, Integer> expected = new HashMap<>();
        for (int step = 0; step < 20_011; step++) {
            int id = rng.nextInt(3) == 0 ? rng.nextInt(VOCAB) : rng.nextInt(97);
            if (rng.nextBoolean()) {
                table.increment(id);
                expected.merge(id, 1, Integer::sum);
            } else {
                table.addPresent(id);
                expected.putIfAbsent(id, 0);
            }
        }
        assertEquals(expected.size(), table.size(), "seed " + runSeed);
        Map<Integer, Integer> actual = new HashMap<>();
        for (int slot = 0; slot < table.capacity(); slot++) {
            if (table.idAt(slot) != TokenCounts.EMPTY) {
                actual.put(table.idAt(slot), table.countAt(slot));
            }
        }
        assertEquals(expected, actual, "seed " + runSeed);
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        SamplingParams params = SamplingParams.greedy(4);
        IllegalArgumentException prompt = assertThrows(IllegalArgumentException.class,
                () -> new SamplingState(params, 5, 19, new int[] {3, 19}));
        assertEquals("prompt token id 19 at position 1 is outside the vocabulary [0, 19)", prompt.getMessage());
        SamplingState state = new SamplingState(params, 5, 19, new int[] {3});
        IllegalArgumentException generated = assertThrows(IllegalArgumentException.class, () -> state.accept(-2));
        assertEquals("generated token id -2 is outside the vocabulary [0, 19)", generated.getMessage());
        IllegalArgumentException vocab = assertThrows(IllegalArgumentException.class,
                () -> new SamplingState(params, 5, 0, new int[0]));
        assertEquals("vocabSize must be >= 1, got 0", vocab.getMessage());
    }
}
