package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Workloads W, S and S-long as shipped: their shapes, and token ids that match values computed independently (in
 * Python).
 */
class WorkloadTest {

    @Test
    void shippedWorkloadHasTheDocumentedShape() {
        Workload w = Workload.w();
        assertEquals("W", w.name());
        assertEquals(1024, w.inputLengths().size());
        assertEquals(256, w.outputTokens());
        assertEquals(262_369, w.inputLengths().stream().mapToLong(Integer::longValue).sum());
        assertEquals(List.of(301, 145, 87, 491), w.inputLengths().subList(0, 4));
        assertEquals(1500, w.inputLengths().stream().mapToInt(Integer::intValue).max().orElseThrow());
    }

    @Test
    void tokenIdsFollowTheFormula() {
        // 100 + (i*7919 + j*104729) mod (vocab - 200), at (i, j) = (0, 0), (1, 1), (3, 17), (1023, 1499)
        assertEquals(100, Workload.promptTokens(0, 1, 1024).get(0));
        assertEquals(684, Workload.promptTokens(1, 2, 1024).get(1));
        assertEquals(514, Workload.promptTokens(3, 18, 1024).get(17));
        assertEquals(784, Workload.promptTokens(1023, 1500, 1024).get(1499));
        assertEquals(112_748, Workload.promptTokens(1, 2, 151_936).get(1));
        assertEquals(135_154, Workload.promptTokens(3, 18, 151_936).get(17));
        assertEquals(1_240, Workload.promptTokens(1023, 1500, 151_936).get(1499), "no int overflow at the far end");
        List<Integer> ids = Workload.promptTokens(5, 333, 1024);
        assertEquals(333, ids.size());
        assertTrue(ids.stream().allMatch(id -> id >= 100 && id < 1024 - 100), "ids stay in [100, vocab - 100)");
    }

    @Test
    void scoringWorkloadsAreWsPromptsAndLongDocuments() {
        Workload s = Workload.scoring("S");
        assertEquals("S", s.name());
        assertEquals(Workload.w().inputLengths(), s.inputLengths());
        assertEquals(0, s.outputTokens());
        Workload sLong = Workload.scoring("S-long");
        assertEquals(256, sLong.inputLengths().size());
        assertTrue(sLong.inputLengths().stream().allMatch(n -> n == 8192));
        assertEquals(2_097_152, sLong.inputLengths().stream().mapToLong(Integer::longValue).sum());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workload.scoring("W"));
        assertEquals("unknown scoring workload 'W' (known: S, S-long)", e.getMessage());
    }

    @Test
    void wSharedIsWBehindOneSystemPromptBuiltByWsFormula() {
        Workload shared = Workload.generation("W-shared");
        assertEquals(Workload.w().inputLengths(), shared.inputLengths());
        assertEquals(256, shared.outputTokens());
        assertEquals(1000, shared.systemPromptTokens());
        List<Integer> system = Workload.promptTokens(1024, 1000, 151_936);
        // token j of the system prompt: 100 + (1024*7919 + j*104729) mod (vocab - 200), at j = 0 and 999
        assertEquals(100 + (1024L * 7919) % 151_736, (long) system.get(0));
        assertEquals(100 + (1024L * 7919 + 999L * 104729) % 151_736, (long) system.get(999));
        for (int i : new int[] {0, 7, 1023}) {
            List<Integer> prompt = shared.prompt(i, 40, 151_936);
            assertEquals(system, prompt.subList(0, 1000), "prompt " + i + " starts with the system prompt");
            assertEquals(Workload.promptTokens(i, 40, 151_936), prompt.subList(1000, 1040), "then W's prompt " + i);
        }
        assertEquals(Workload.promptTokens(3, 9, 1024), Workload.w().prompt(3, 9, 1024), "W has no system prompt");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workload.generation("S"));
        assertEquals("unknown generation workload 'S' (known: W, W-shared)", e.getMessage());
    }

    @Test
    void promptsAreTheFirstTextsWholeAndWarmUpPromptsShareNoPrefixWithThem() {
        Workload shared = Workload.wShared();
        List<List<Integer>> prompts = shared.prompts(3, 1024);
        assertEquals(3, prompts.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(shared.prompt(i, shared.inputLengths().get(i), 1024), prompts.get(i), "prompt " + i);
        }
        assertEquals(1024, Workload.w().prompts(1024, 1024).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workload.s().prompts(1025,
                1024));
        assertEquals("workload S has 1024 prompts, not 1025", e.getMessage());

        List<List<Integer>> warmUp = Workload.warmUpPrompts(4, 16, 151_936);
        assertEquals(4, warmUp.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(Workload.promptTokens((1 << 20) + i, 16, 151_936), warmUp.get(i), "warm-up prompt " + i);
            for (int text = 0; text <= 1024; text++) {
                // text 1024 starts W-shared's system prompt
                assertTrue(!warmUp.get(i).get(0).equals(Workload.promptTokens(text, 1, 151_936).get(0))
                        || !warmUp.get(i).get(1).equals(Workload.promptTokens(text, 2, 151_936).get(1)),
                        "warm-up prompt " + i + " and text " + text + " share their first two tokens");
            }
        }
    }

    @Test
    void tinyVocabularyIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workload.promptTokens(0, 3, 150));
        assertEquals("workload W needs a vocabulary over 200 ids, got 150", e.getMessage());
    }
}
