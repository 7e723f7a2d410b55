package dev.flood.spark;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Each generated row's sampling seed: the first 8 bytes of SHA-256 over the call's base {@code seed}, its sampling
 * options (every {@link FloodOption.Scope#SAMPLING} option's resolved value, by key) and the prompt. A retried or
 * speculative task therefore samples exactly what the first attempt did, whatever the partitioning or batch. Rows
 * with the same prompt and options get the same seed (and so the same text); vary {@code seed} per call for
 * independent samples.
 */
public final class RowSeeds {

    private RowSeeds() {
    }

    public static long seed(FloodSettings settings, String prompt) {
        StringBuilder content = new StringBuilder();
        content.append(settings.seed()).append('\u0000');
        for (FloodOption option : FloodOptions.ALL.values()) {
            if (option.scope() == FloodOption.Scope.SAMPLING && option != FloodOptions.SEED) {
                content.append(option.key()).append('=').append(settings.value(option)).append('\u0000');
            }
        }
        // a null prompt hashes apart from every text (its request fails anyway)
        content.append(prompt == null ? "\u0001null" : "\u0002" + prompt);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(content.toString().getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest, 0, Long.BYTES).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
