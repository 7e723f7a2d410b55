package dev.flood.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.flood.api.ChatMessage;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Seeds are a pure, JVM-independent function of (base seed, content) that tells contents apart. */
class RequestSeedsTest {

    /**
     * Pinned values: a job restored on another JVM or Flood version must derive the same seeds, or re-issued
     * requests would sample differently. Changing them is a breaking change for running jobs.
     */
    @Test
    void pinnedValues() {
        assertEquals(RequestSeeds.derive(0, "Hello"), RequestSeeds.derive(0, new String("Hello".toCharArray())));
        assertEquals(0x523a65e59c89a1a2L, RequestSeeds.derive(0, "Hello"));
        assertEquals(0xa8919533ebf77ce0L, RequestSeeds.derive(42, "Ünïcödé → 日本語 🚀"));
        assertEquals(0x661bc101b8b03e1cL, RequestSeeds.derive(-7, ""));
    }

    /** The published FNV-1a 64 test vectors (Fowler/Noll/Vo reference code). */
    @Test
    void contentHashIsFnv1a() {
        assertEquals(0xcbf29ce484222325L, RequestSeeds.fnv1a64(""));
        assertEquals(0xaf63dc4c8601ec8cL, RequestSeeds.fnv1a64("a"));
        assertEquals(0x85944171f73967e8L, RequestSeeds.fnv1a64("foobar"));
    }

    @Test
    void contentAndBaseSeedBothMatter() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Set<Long> seen = new HashSet<>();
        int count = 20_011;
        for (int i = 0; i < count; i++) {
            byte[] bytes = new byte[1 + random.nextInt(37)];
            random.nextBytes(bytes);
            seen.add(RequestSeeds.derive(13, new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1) + i));
        }
        assertEquals(count, seen.size(), "64-bit seeds of distinct contents should not collide (seed " + seed + ")");
        assertNotEquals(RequestSeeds.derive(1, "same"), RequestSeeds.derive(2, "same"));
        assertNotEquals(RequestSeeds.derive(1, null), RequestSeeds.derive(1, ""));
        assertEquals(RequestSeeds.derive(1, null), RequestSeeds.derive(1, null));
    }

    /** A conversation's seed: its messages' lengths keep apart texts that concatenate alike. */
    @Test
    void conversationsHashByTheirMessages() {
        List<ChatMessage> conversation = List.of(ChatMessage.system("ab"), ChatMessage.user("c"));
        assertEquals(RequestSeeds.derive(5, "\u0000messages:6:system2:ab;4:user1:c;"),
                RequestSeeds.deriveForMessages(5, conversation));
        assertNotEquals(RequestSeeds.deriveForMessages(5, conversation),
                RequestSeeds.deriveForMessages(5, List.of(ChatMessage.system("a"), ChatMessage.user("bc"))));
        assertNotEquals(RequestSeeds.deriveForMessages(5, conversation),
                RequestSeeds.deriveForMessages(5, List.of(ChatMessage.system("abc"))));
        assertNotEquals(RequestSeeds.deriveForMessages(5, List.of(ChatMessage.user("hi"))), RequestSeeds.derive(5,
                "hi"), "a conversation hashes apart from its text");
        assertEquals(RequestSeeds.derive(5, "\u0000messages:-1;"),
                RequestSeeds.deriveForMessages(5, Arrays.asList((ChatMessage) null)));
    }
}
