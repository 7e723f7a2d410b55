package dev.flood.spark;

import dev.flood.api.ChatMessage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Each generated row's sampling seed: the first 8 bytes of SHA-256 over the call's base {@code seed}, its sampling
 * options (every {@link FloodOption.Scope#SAMPLING} option's resolved value, by key) and the prompt (its text, its
 * token ids, or flood_chat's messages). A retried or speculative task therefore samples exactly what the first attempt did, whatever
 * the partitioning or batch. Rows with the same prompt and options get the same seed (and so the same text); vary
 * {@code seed} per call for independent samples.
 */
public final class RowSeeds {

    private RowSeeds() {
    }

    public static long seed(FloodSettings settings, String prompt) {
        // a null prompt hashes apart from every text (its request fails anyway)
        return hash(settings, prompt == null ? "\u0001null" : "\u0002" + prompt);
    }

    /** The seed of a prompt given as token ids: hashed apart from every text prompt. */
    public static long seedOfTokenIds(FloodSettings settings, List<Integer> promptTokenIds) {
        StringBuilder ids = new StringBuilder("\u0003");
        promptTokenIds.forEach(id -> ids.append(id).append(','));
        return hash(settings, ids);
    }

    /** The seed of a conversation: hashed apart from every text and token-id prompt. */
    public static long seedOfMessages(FloodSettings settings, List<ChatMessage> messages) {
        // each part length-prefixed, so that no two conversations hash the same text
        StringBuilder text = new StringBuilder("\u0004");
        for (ChatMessage message : messages) {
            text.append(message.role().length()).append(':').append(message.role())
                    .append(message.content().length()).append(':').append(message.content());
        }
        return hash(settings, text);
    }

    private static long hash(FloodSettings settings, CharSequence prompt) {
        StringBuilder content = new StringBuilder();
        content.append(settings.seed()).append('\u0000');
        for (FloodOption option : FloodOptions.ALL.values()) {
            if (option.scope() == FloodOption.Scope.SAMPLING && option != FloodOptions.SEED) {
                content.append(option.key()).append('=').append(settings.value(option)).append('\u0000');
            }
        }
        content.append(prompt);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(content.toString().getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest, 0, Long.BYTES).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
