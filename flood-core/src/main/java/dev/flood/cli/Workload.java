package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Workload W, the throughput benchmark (shared/bench/WORKLOAD.md): prompt i has {@code inputLengths[i]} tokens,
 * token j of prompt i is {@code 100 + (i*7919 + j*104729) mod (vocabSize - 200)}, so any program rebuilds the same
 * ids; each prompt generates exactly {@code outputTokens} tokens, greedy, EOS ignored.
 *
 * @param inputLengths prompt lengths in tokens, in prompt order
 * @param outputTokens tokens generated per prompt
 */
record Workload(String name, List<Integer> inputLengths, int outputTokens) {

    private static final String RESOURCE = "workload-w.json";
    /** Ids below this are left out (special and byte tokens sit low in most vocabularies). */
    private static final int FIRST_ID = 100;

    Workload {
        inputLengths = List.copyOf(inputLengths);
        if (inputLengths.isEmpty() || inputLengths.stream().anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("workload " + name + " needs prompt lengths >= 1");
        }
        if (outputTokens < 1) {
            throw new IllegalArgumentException("workload " + name + " needs output_tokens >= 1, got " + outputTokens);
        }
    }

    /** Workload W as shipped with Flood. */
    static Workload w() {
        try (InputStream in = Workload.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing from the classpath");
            }
            JsonNode root = new ObjectMapper().readTree(in);
            List<Integer> lengths = new ArrayList<>();
            root.get("input_lengths").forEach(n -> lengths.add(n.intValue()));
            return new Workload(root.get("name").asText(), lengths, root.get("output_tokens").intValue());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** The ids of prompt {@code index} cut to {@code numTokens}, for a model of {@code vocabSize} ids. */
    static List<Integer> promptTokens(int index, int numTokens, int vocabSize) {
        if (vocabSize <= 2 * FIRST_ID) {
            throw new IllegalArgumentException("workload W needs a vocabulary over " + 2 * FIRST_ID
                    + " ids, got " + vocabSize);
        }
        List<Integer> ids = new ArrayList<>(numTokens);
        for (int j = 0; j < numTokens; j++) {
            ids.add((int) (FIRST_ID + ((long) index * 7919 + (long) j * 104729) % (vocabSize - 2 * FIRST_ID)));
        }
        return ids;
    }
}
