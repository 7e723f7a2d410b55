package dev.flood.examples.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Workload W's prompts as token ids, as {@code ./flood bench} builds them (shared/bench/WORKLOAD.md): prompt i has
 * {@code input_lengths[i]} tokens (flood-core's {@code dev/flood/cli/workload-w.json}), token j of prompt i is
 * {@code 100 + (i*7919 + j*104729) mod (vocab_size - 200)}; each generates {@code output_tokens}, greedy, EOS
 * ignored.
 */
final class WorkloadPrompts {

    private static final String RESOURCE = "/dev/flood/cli/workload-w.json";
    private static final int FIRST_ID = 100;

    private WorkloadPrompts() {
    }

    /** The first {@code count} prompts for the model in {@code modelDir} (its config.json gives the vocabulary). */
    static List<List<Integer>> first(int count, Path modelDir) {
        int vocabSize = read(modelDir.resolve("config.json")).get("vocab_size").intValue();
        JsonNode workload = resource();
        List<List<Integer>> prompts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            prompts.add(prompt(i, workload.get("input_lengths").get(i).intValue(), vocabSize));
        }
        return prompts;
    }

    /**
     * {@code count} warm-up prompts of 16 tokens, by the same rule from prompt index 2^20 on, as {@code ./flood bench}
     * warms up: none shares a prefix with W's prompts, so none leaves them a prefix-cache hit.
     */
    static List<List<Integer>> warmUp(int count, Path modelDir) {
        int vocabSize = read(modelDir.resolve("config.json")).get("vocab_size").intValue();
        List<List<Integer>> prompts = new ArrayList<>();
        for (int i = (1 << 20); i < (1 << 20) + count; i++) {
            prompts.add(prompt(i, 16, vocabSize));
        }
        return prompts;
    }

    private static List<Integer> prompt(int index, int length, int vocabSize) {
        List<Integer> ids = new ArrayList<>(length);
        for (int j = 0; j < length; j++) {
            ids.add((int) (FIRST_ID + ((long) index * 7919 + (long) j * 104729) % (vocabSize - 2 * FIRST_ID)));
        }
        return ids;
    }

    /** Tokens each prompt generates in workload W. */
    static int outputTokens() {
        return resource().get("output_tokens").intValue();
    }

    private static JsonNode resource() {
        try (InputStream in = WorkloadPrompts.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the classpath (it ships in flood-core's jar)");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
