package dev.flood.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.flood.tokenizer.SyntheticTokenizers.byteId;
import static dev.flood.tokenizer.SyntheticTokenizers.straddlingId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IncrementalDetokenizerTest {

    private static final String UNICODE_CASE = "Ünïcödé → 日本語のテキスト and emoji 🚀 mixed in.";
    /** Fixture vocabulary: its non-ASCII tokens are single bytes, so a clean boundary is never 5 ids away. */
    private static final int MAX_WINDOW_TOKENS = 2 * (IncrementalDetokenizer.MAX_PENDING_TOKENS + 1);

    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        tokenizer = Tokenizer.load(TokenizerTest.fixture("tiny-llama"));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    /** The fixture tokenizer's deltas for {@code generated} after {@code prompt}, the flush last. */
    private static List<String> stream(int[] prompt, int[] generated) {
        return stream(tokenizer, prompt, generated, MAX_WINDOW_TOKENS);
    }

    /**
     * The deltas of feeding {@code generated} after {@code prompt}, then the flush as the last element; checks the
     * window never holds more than {@code maxWindowTokens} ids.
     */
    private static List<String> stream(Tokenizer own, int[] prompt, int[] generated, int maxWindowTokens) {
        IncrementalDetokenizer detokenizer = own.newDetokenizer(prompt);
        List<String> deltas = new ArrayList<>();
        for (int id : generated) {
            deltas.add(detokenizer.add(id));
            assertTrue(detokenizer.numWindowTokens() <= maxWindowTokens,
                    "window of " + detokenizer.numWindowTokens() + " ids");
        }
        deltas.add(detokenizer.flush());
        assertEquals(String.join("", deltas), detokenizer.text());
        return deltas;
    }

    /** Checks that valid text streams without any U+FFFD and that every delta ends on a character. */
    private static void assertStreamsCleanly(String prompt, String completion) {
        int[] promptIds = tokenizer.encode(prompt);
        int[] completionIds = tokenizer.encodeWithoutSpecialTokens(completion);
        List<String> deltas = stream(promptIds, completionIds);
        for (int i = 0; i < deltas.size(); i++) {
            assertFalse(deltas.get(i).contains("\uFFFD"), "delta " + i + " of " + completion + ": " + deltas);
        }
        assertEquals("", deltas.get(deltas.size() - 1), "nothing left for flush: " + deltas);
        assertEquals(completion, String.join("", deltas));
        assertEquals(tokenizer.decode(completionIds), String.join("", deltas));
    }

    @Test
    void streamsTheUnicodeReferenceCaseWithoutReplacementCharacters() throws Exception {
        for (JsonNode c : TokenizerTest.referenceCases("tiny-llama")) {
            if (c.path("prompt").asText().equals(UNICODE_CASE)) {
                int[] ids = TokenizerTest.ints(c.path("input_ids"));
                int[] generated = Arrays.copyOfRange(ids, 1, ids.length);
                List<String> deltas = stream(tokenizer.encode("Some context: "), generated);
                deltas.forEach(delta -> assertFalse(delta.contains("\uFFFD"), "deltas " + deltas));
                assertEquals(UNICODE_CASE, String.join("", deltas));
                assertTrue(deltas.stream().filter(String::isEmpty).count() > 10,
                        "multi-byte characters are held back: " + deltas);
                return;
            }
        }
        throw new AssertionError("no reference case " + UNICODE_CASE);
    }

    @Test
    void streamsMultiByteTextsWithoutReplacementCharacters() {
        assertStreamsCleanly("Hello", UNICODE_CASE);
        assertStreamsCleanly("", " Grüße aus Zürich! Ελληνικά, русский, עברית, 한국어 😀👍🏽 café");
        assertStreamsCleanly("def f():", "\n    return \"🚀🚀🚀\"  # 日本語");
    }

    @Test
    void streamsRandomMultiByteTextsWithoutReplacementCharacters() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int[][] ranges = {{'a', 'z'}, {' ', ' '}, {0xC0, 0xFF}, {0x391, 0x3C9}, {0x410, 0x44F}, {0x4E00, 0x9FFF},
            {0xAC00, 0xD7A3}, {0x1F300, 0x1F64F}};
        for (int text = 0; text < 37; text++) {
            StringBuilder completion = new StringBuilder();
            int numCodePoints = 1 + random.nextInt(111);
            for (int i = 0; i < numCodePoints; i++) {
                int[] range = ranges[random.nextInt(ranges.length)];
                completion.appendCodePoint(range[0] + random.nextInt(range[1] - range[0] + 1));
            }
            try {
                assertStreamsCleanly(TokenizerTest.randomText(random, random.nextInt(7)), completion.toString());
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    @Test
    void randomIdsStreamToTheirDecoding() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int sequence = 0; sequence < 199; sequence++) {
            int[] prompt = random.ints(random.nextInt(19), 0, tokenizer.vocabSize()).toArray();
            int[] generated = random.ints(1 + random.nextInt(301), 0, tokenizer.vocabSize()).toArray();
            String streamed = String.join("", stream(prompt, generated));
            assertEquals(tokenizer.decode(generated), streamed,
                    "seed " + seed + ", prompt " + Arrays.toString(prompt)
                            + ", generated " + Arrays.toString(generated));
        }
    }

    @Test
    void randomIdsOfStraddlingTokensStreamToTheirDecoding(@TempDir Path dir) throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        // Draw mostly from bytes >= 0x80 and the straddling tokens, so multi-byte characters form often.
        int[] pool = new int[128 + SyntheticTokenizers.STRADDLING_TOKENS.length + 4];
        for (int b = 0x80; b < 0x100; b++) {
            pool[b - 0x80] = byteId(b);
        }
        for (int i = 0; i < SyntheticTokenizers.STRADDLING_TOKENS.length; i++) {
            pool[128 + i] = straddlingId(i);
        }
        pool[pool.length - 4] = byteId('a');
        pool[pool.length - 3] = byteId(' ');
        pool[pool.length - 2] = 1;
        pool[pool.length - 1] = 2;
        try (Tokenizer own = Tokenizer.load(SyntheticTokenizers.byteLevel(dir))) {
            for (int sequence = 0; sequence < 199; sequence++) {
                int[] generated = random.ints(1 + random.nextInt(301), 0, pool.length).map(i -> pool[i]).toArray();
                int[] prompt = own.encodeWithoutSpecialTokens("prompt 日");
                String streamed = String.join("", stream(own, prompt, generated, Integer.MAX_VALUE));
                assertEquals(own.decode(generated), streamed,
                        "seed " + seed + ", generated " + Arrays.toString(generated));
            }
        }
    }

    @Test
    void holdsTextWhileEveryBoundaryIsInsideACharacter(@TempDir Path dir) throws Exception {
        try (Tokenizer own = Tokenizer.load(SyntheticTokenizers.byteLevel(dir))) {
            // E6, then 29 x (97 A5 E6), then 97 and A5: 30 x 日, every token ending inside the next character.
            IncrementalDetokenizer detokenizer = own.newDetokenizer(own.encode("x"));
            assertEquals("", detokenizer.add(byteId(0xE6)));
            for (int i = 0; i < 29; i++) {
                assertEquals("", detokenizer.add(straddlingId(0)), "straddling token " + i);
            }
            assertEquals("", detokenizer.add(byteId(0x97)));
            assertEquals("日".repeat(30), detokenizer.add(byteId(0xA5)));
            assertEquals("", detokenizer.flush());
            assertEquals("日".repeat(30), detokenizer.text());
        }
    }

    @Test
    void keepsTheWindowSmallThroughInvalidBytes() {
        // Id 98 is the lone continuation byte 0xA2: each one decodes to U+FFFD and never completes.
        int numIds = 1_001 + new Random().nextInt(1_000);
        int[] generated = new int[numIds];
        Arrays.fill(generated, 98);
        List<String> deltas = stream(tokenizer.encode("Hello"), generated);
        assertEquals("\uFFFD".repeat(numIds), String.join("", deltas));
        assertTrue(deltas.stream().filter(delta -> !delta.isEmpty()).count() > numIds / 10,
                "text is released along the way, not only at flush: " + deltas.size() + " deltas");
    }

    @Test
    void leavesThePromptOutAndKeepsTheLeadingSpace() {
        int[] generated = tokenizer.encodeWithoutSpecialTokens(" fox jumps");
        List<String> deltas = stream(tokenizer.encode("The quick brown"), generated);
        assertEquals(" fox jumps", String.join("", deltas));
        assertTrue(deltas.get(0).startsWith(" "), "first delta " + deltas);
    }

    @Test
    void keepsTheLeadingSpaceThatASentencePieceDecodeDrops(@TempDir Path dir) throws Exception {
        try (Tokenizer own = Tokenizer.load(SyntheticTokenizers.metaspaceUnigram(dir))) {
            int[] ids = own.encode("hello world");
            assertEquals(List.of(1, 3, 4), Arrays.stream(ids).boxed().toList());
            assertEquals("world", own.decode(new int[] {4}), "a lone first token loses its space");
            IncrementalDetokenizer detokenizer = own.newDetokenizer(new int[] {1, 3});
            assertEquals(" world", detokenizer.add(4));
            assertEquals(" hello", detokenizer.add(3));
            assertEquals("", detokenizer.flush());
            assertEquals(" world hello", detokenizer.text());
        }
    }

    @Test
    void skipsSpecialTokens() {
        int[] words = tokenizer.encodeWithoutSpecialTokens(" over the lazy dog");
        int[] generated = new int[words.length + 3];
        generated[0] = 2;
        System.arraycopy(words, 0, generated, 1, 2);
        generated[3] = 0;
        System.arraycopy(words, 2, generated, 4, words.length - 2);
        generated[generated.length - 1] = 1;
        List<String> deltas = stream(tokenizer.encode("jumps"), generated);
        assertEquals("", deltas.get(0));
        assertEquals(" over the lazy dog", String.join("", deltas));
    }

    @Test
    void dropsAPromptThatEndsInsideACharacter() {
        int[] rocket = tokenizer.encodeWithoutSpecialTokens("🚀");
        assertEquals(4, rocket.length, "🚀 is one id per byte");
        int[] prompt = Arrays.copyOf(rocket, 2);
        int[] generated = Arrays.copyOfRange(rocket, 2, 4);
        List<String> deltas = stream(prompt, generated);
        assertEquals(tokenizer.decode(generated), String.join("", deltas));
        assertEquals("\uFFFD\uFFFD", String.join("", deltas), "two lone continuation bytes");
    }

    @Test
    void flushShowsAnIncompleteCharacterOnceAndEndsTheStream() {
        int[] rocket = tokenizer.encodeWithoutSpecialTokens(" 🚀");
        IncrementalDetokenizer detokenizer = tokenizer.newDetokenizer(tokenizer.encode("Go"));
        assertEquals(" ", detokenizer.add(rocket[0]));
        assertEquals("", detokenizer.add(rocket[1]));
        assertEquals("", detokenizer.add(rocket[2]));
        assertEquals("\uFFFD", detokenizer.flush());
        assertEquals(tokenizer.decode(Arrays.copyOf(rocket, 3)), detokenizer.text());
        assertEquals("", detokenizer.flush());
        assertEquals("detokenizer was flushed; it takes no more tokens",
                assertThrows(IllegalStateException.class, () -> detokenizer.add(rocket[3])).getMessage());
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        IncrementalDetokenizer detokenizer = tokenizer.newDetokenizer(new int[0]);
        assertEquals("token id 1024 is out of range for vocabulary size 1024",
                assertThrows(IllegalArgumentException.class, () -> detokenizer.add(1024)).getMessage());
        assertEquals("token id -3 is out of range for vocabulary size 1024", assertThrows(
                IllegalArgumentException.class, () -> tokenizer.newDetokenizer(new int[] {5, -3})).getMessage());
        assertEquals("promptIds is null",
                assertThrows(IllegalArgumentException.class, () -> tokenizer.newDetokenizer(null)).getMessage());
    }
}
