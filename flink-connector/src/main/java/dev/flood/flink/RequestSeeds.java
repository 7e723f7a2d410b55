package dev.flood.flink;

import dev.flood.api.ChatMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Sampling seeds as a pure function of a base seed and a record's content, so that a request Flink re-issues
 * after a restore (or a retry) samples the same tokens as the first attempt, on any TaskManager and JVM. Two
 * records with the same content get the same seed, hence the same text.
 */
@PublicEvolving
public final class RequestSeeds {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    /** Stands for a null content, so that it cannot collide with the empty string's hash by construction. */
    private static final long NULL_CONTENT = 0x9e3779b97f4a7c15L;

    private RequestSeeds() {
    }

    /** FNV-1a over the content's UTF-8 bytes (stable across JVMs, unlike identity or default hashes), mixed with the base. */
    public static long derive(long baseSeed, String content) {
        return mix(baseSeed ^ mix(content == null ? NULL_CONTENT : fnv1a64(content)));
    }

    /** The seed of a prompt given as token ids: their decimal form behind a marker no text prompt hashes as. */
    public static long deriveForTokens(long baseSeed, List<Integer> promptTokenIds) {
        StringBuilder ids = new StringBuilder("\u0000token ids:");
        promptTokenIds.forEach(id -> ids.append(id).append(','));
        return derive(baseSeed, ids.toString());
    }

    /**
     * The seed of a conversation: each message's role and content, each behind its length in characters (so that
     * no two conversations hash the same text), behind a marker no text prompt hashes as; a null message as
     * {@code -1}.
     */
    public static long deriveForMessages(long baseSeed, List<ChatMessage> messages) {
        StringBuilder text = new StringBuilder("\u0000messages:");
        for (ChatMessage message : messages) {
            if (message == null) {
                text.append("-1;");
            } else {
                text.append(message.role().length()).append(':').append(message.role())
                        .append(message.content().length()).append(':').append(message.content()).append(';');
            }
        }
        return derive(baseSeed, text.toString());
    }

    /** 64-bit FNV-1a of the UTF-8 bytes. */
    static long fnv1a64(String text) {
        long hash = FNV_OFFSET;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            hash = (hash ^ (b & 0xff)) * FNV_PRIME;
        }
        return hash;
    }

    /** SplitMix64's finalizer: every input bit flips about half of the output bits. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
