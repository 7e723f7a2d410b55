package dev.flood.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.FloodException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerTest {

    /** Words to build random texts from: ASCII prose, code, and multi-byte characters of several scripts. */
    private static final String[] WORDS = {
        "the", "quick", "brown", "fox", "Permission", "hereby", "granted,", "WARRANTY", "def", "fibonacci(n):",
        "\n    return", "Ünïcödé", "→", "日本語の", "テキスト", "🚀", "emoji", "Grüße", "Ελληνικά", "русский", "😀👍🏽",
        "café", "\t", "  ", "AAAA", "x=1;", "{\"a\": [1, 2]}", "naïve", "한국어", "עברית"};

    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws URISyntaxException {
        tokenizer = Tokenizer.load(fixture("tiny-llama"));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(TokenizerTest.class.getResource("/fixtures/" + name).toURI());
    }

    static JsonNode referenceCases(String name) throws IOException, URISyntaxException {
        return new ObjectMapper().readTree(fixture(name).resolve("reference.json").toFile()).path("cases");
    }

    static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asInt();
        }
        return values;
    }

    static String randomText(Random random, int numWords) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < numWords; i++) {
            text.append(WORDS[random.nextInt(WORDS.length)]);
            text.append(random.nextInt(4) == 0 ? "" : " ");
        }
        return text.toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2", "tiny-qwen3"})
    void matchesTransformersOnEveryReferenceCase(String name) throws Exception {
        JsonNode cases = referenceCases(name);
        assertTrue(cases.size() >= 8, "reference.json of " + name + " has " + cases.size() + " cases");
        try (Tokenizer own = Tokenizer.load(fixture(name))) {
            for (JsonNode c : cases) {
                String prompt = c.path("prompt").asText();
                assertArrayEquals(ints(c.path("input_ids")), own.encode(prompt), name + ": ids of " + prompt);
                assertEquals(c.path("greedy_text").asText(), own.decode(ints(c.path("greedy_24"))),
                        name + ": text of greedy_24 after " + prompt);
            }
        }
    }

    @Test
    void encodesWithoutSpecialTokensAsTheSequenceAfterBos() throws Exception {
        for (JsonNode c : referenceCases("tiny-llama")) {
            int[] withBos = ints(c.path("input_ids"));
            int[] withoutBos = tokenizer.encodeWithoutSpecialTokens(c.path("prompt").asText());
            assertNotEquals(0, withoutBos[0], "first id of " + c.path("prompt"));
            assertArrayEquals(Arrays.copyOfRange(withBos, 1, withBos.length), withoutBos);
        }
    }

    @Test
    void encodesLongTextWholeAndDecodesItBack() {
        long seed = System.nanoTime();
        String text = randomText(new Random(seed), 2_500);
        int[] ids = tokenizer.encode(text);
        assertTrue(ids.length > 3_000, "seed " + seed + ": only " + ids.length + " tokens");
        assertEquals(0, ids[0], "seed " + seed + ": BOS first");
        assertEquals(text, tokenizer.decode(ids), "seed " + seed + ": round trip");
        assertEquals(ids.length - 1, tokenizer.encodeWithoutSpecialTokens(text).length, "seed " + seed);
    }

    @Test
    void roundTripsRandomTexts() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int i = 0; i < 111; i++) {
            String text = randomText(random, 1 + random.nextInt(19));
            assertEquals(text, tokenizer.decode(tokenizer.encode(text)), "seed " + seed + ": " + text);
        }
    }

    @Test
    void decodeWithSpecialTokensWritesThemOut() {
        int[] ids = tokenizer.encode("Hello");
        int[] withEos = Arrays.copyOf(ids, ids.length + 1);
        withEos[ids.length] = 1;
        assertEquals("<|bos|>Hello<|eos|>", tokenizer.decodeWithSpecialTokens(withEos));
        assertEquals("Hello", tokenizer.decode(withEos));
    }

    @Test
    void knowsItsSpecialTokensAndVocabulary() {
        assertEquals(1024, tokenizer.vocabSize());
        for (int id = 0; id < 3; id++) {
            assertTrue(tokenizer.isSpecial(id), "id " + id);
        }
        for (int id = 3; id < tokenizer.vocabSize(); id++) {
            assertFalse(tokenizer.isSpecial(id), "id " + id);
        }
        assertEquals(OptionalInt.of(0), tokenizer.tokenId("<|bos|>"));
        assertEquals(OptionalInt.of(1), tokenizer.tokenId("<|eos|>"));
        assertEquals(OptionalInt.of(2), tokenizer.tokenId("<|pad|>"));
        assertEquals(OptionalInt.of(1023), tokenizer.tokenId("Ġmeans"));
        assertEquals(OptionalInt.empty(), tokenizer.tokenId("no such token"));
    }

    @Test
    void ignoresTruncationAndPaddingAskedForInTheFile(@TempDir Path dir) throws IOException {
        // The file truncates to 4 tokens and pads to 64; its model encodes one id per byte.
        try (Tokenizer own = Tokenizer.load(SyntheticTokenizers.byteLevel(dir))) {
            String text = "a" + randomText(new Random(), 37);
            int[] ids = own.encode(text);
            assertEquals(text.getBytes(StandardCharsets.UTF_8).length, ids.length, text);
            assertEquals(text, own.decode(ids));
            assertEquals(SyntheticTokenizers.byteId('a'), ids[0]);
        }
    }

    @Test
    void readsAUnigramVocabularyList(@TempDir Path dir) throws IOException {
        try (Tokenizer own = Tokenizer.load(SyntheticTokenizers.metaspaceUnigram(dir))) {
            assertEquals(13, own.vocabSize());
            assertEquals(OptionalInt.of(4), own.tokenId("▁world"));
            assertEquals(OptionalInt.of(2), own.tokenId("</s>"));
            assertTrue(own.isSpecial(1));
            assertFalse(own.isSpecial(3));
            assertEquals("hello world", own.decode(own.encode("hello world")));
        }
    }

    @Test
    void tokenTextIsWhatAUserReads() {
        assertEquals("<|eos|>", tokenizer.tokenText(1));
        assertEquals(" means", tokenizer.tokenText(1023));
        assertEquals("A", tokenizer.tokenText(35));
        // id 98 is the lone byte 0xA2, a UTF-8 continuation byte: not a character on its own.
        assertEquals("\uFFFD", tokenizer.tokenText(98));
        assertEquals(" means", tokenizer.tokenText(1023), "cached");
    }

    @Test
    void rejectsBadArgumentsWithMessages() {
        IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.decode(new int[] {35, 1024}));
        assertEquals("token id 1024 is out of range for vocabulary size 1024", tooLarge.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.decodeWithSpecialTokens(new int[] {-7}));
        assertEquals("token id -7 is out of range for vocabulary size 1024", negative.getMessage());
        assertEquals("token id 1031 is out of range for vocabulary size 1024",
                assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenText(1031)).getMessage());
        assertEquals("token id 1024 is out of range for vocabulary size 1024",
                assertThrows(IllegalArgumentException.class, () -> tokenizer.isSpecial(1024)).getMessage());
        assertEquals("text is null",
                assertThrows(IllegalArgumentException.class, () -> tokenizer.encode(null)).getMessage());
        assertEquals("text is null", assertThrows(IllegalArgumentException.class,
                () -> tokenizer.encodeWithoutSpecialTokens(null)).getMessage());
        assertEquals("text has an unpaired surrogate U+D83D at index 2",
                assertThrows(IllegalArgumentException.class, () -> tokenizer.encode("ab\uD83Dc🚀")).getMessage());
        assertEquals("text has an unpaired surrogate U+DE80 at index 2", assertThrows(IllegalArgumentException.class,
                () -> tokenizer.encodeWithoutSpecialTokens("🚀\uDE80")).getMessage());
        assertEquals("ids is null",
                assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(null)).getMessage());
        assertEquals("token is null",
                assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenId(null)).getMessage());
    }

    @Test
    void reportsAMissingTokenizerFile(@TempDir Path dir) {
        FloodException e = assertThrows(FloodException.class, () -> Tokenizer.load(dir));
        assertEquals("tokenizer file not found: " + dir.resolve("tokenizer.json"), e.getMessage());
    }

    @Test
    void reportsACorruptTokenizerFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"vocab\": {\"a\": 0", StandardCharsets.UTF_8);
        FloodException e = assertThrows(FloodException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().startsWith("cannot parse tokenizer file " + file + ": "), e.getMessage());
    }

    @Test
    void reportsATokenizerFileWithoutVocabulary(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"type\": \"BPE\"}}", StandardCharsets.UTF_8);
        FloodException e = assertThrows(FloodException.class, () -> Tokenizer.load(dir));
        assertEquals("tokenizer file " + file + " has no model.vocab", e.getMessage());
    }

    @Test
    void reportsATokenizerFileTheLibraryCannotBuild(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"type\": \"NoSuchModel\", \"vocab\": {\"a\": 0}}}");
        FloodException e = assertThrows(FloodException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().startsWith("cannot build a tokenizer from " + file + ": "), e.getMessage());
    }

    @Test
    void twoThreadsEncodeAndDecodeAsOneDoes() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 301; i++) {
            texts.add(randomText(random, 1 + random.nextInt(111)));
        }
        List<int[]> expected = new ArrayList<>();
        for (String text : texts) {
            expected.add(tokenizer.encode(text));
        }
        CountDownLatch start = new CountDownLatch(1);
        Callable<List<int[]>> worker = () -> {
            start.await();
            List<int[]> ids = new ArrayList<>();
            for (String text : texts) {
                ids.add(tokenizer.encode(text));
                assertEquals(text, tokenizer.decode(ids.get(ids.size() - 1)), "seed " + seed);
            }
            return ids;
        };
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<List<int[]>> first = pool.submit(worker);
            Future<List<int[]>> second = pool.submit(worker);
            start.countDown();
            List<int[]> firstIds = first.get(60, TimeUnit.SECONDS);
            List<int[]> secondIds = second.get(60, TimeUnit.SECONDS);
            for (int i = 0; i < texts.size(); i++) {
                assertArrayEquals(expected.get(i), firstIds.get(i), "seed " + seed + ", text " + i);
                assertArrayEquals(expected.get(i), secondIds.get(i), "seed " + seed + ", text " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refusesCallsAfterClose() throws Exception {
        Tokenizer own = Tokenizer.load(fixture("tiny-qwen2"));
        own.close();
        own.close();
        assertEquals("tokenizer is closed",
                assertThrows(IllegalStateException.class, () -> own.encode("Hello")).getMessage());
        assertEquals("tokenizer is closed",
                assertThrows(IllegalStateException.class, () -> own.decode(new int[] {35})).getMessage());
    }
}
