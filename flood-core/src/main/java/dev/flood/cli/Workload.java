package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Flood's benchmark workloads. All build their token ids the same way: token j of text i is
 * {@code 100 + (i*7919 + j*104729) mod (vocabSize - 200)}, so any program rebuilds the same ids.
 * <ul>
 *   <li>W, the throughput benchmark (shared/bench/WORKLOAD.md): 1,024 prompts of {@code inputLengths[i]} tokens
 *       (8 to 1,500, mean 256), each generating exactly {@code outputTokens} (256) tokens, greedy, EOS ignored;
 *   <li>W-shared, prefix caching's benchmark: W with the same 1,000-token system prompt in front of each of its
 *       prompts. The system prompt is built by the same formula as the text after W's last, i = 1024: token j of
 *       it is {@code 100 + (1024*7919 + j*104729) mod (vocabSize - 200)}; prompt i is those 1,000 ids followed by
 *       W's prompt i;
 *   <li>S, bulk scoring: W's 1,024 prompts taken as texts to score, every position's next-token log-probability;
 *   <li>S-long, scoring long documents: 256 texts of 8,192 tokens each.
 * </ul>
 * docs/performance.md describes them and gives the figures. Public so that the examples' connector benchmarks
 * run the very prompts {@code flood bench} runs.
 *
 * @param inputLengths       prompt (or text) lengths in tokens, in order, not counting the system prompt
 * @param outputTokens       tokens generated per prompt; 0 for a scoring workload
 * @param systemPromptTokens tokens of the system prompt in front of every prompt; 0 for none
 */
public record Workload(String name, List<Integer> inputLengths, int outputTokens, int systemPromptTokens) {

    /** The generation workloads by name, for {@code flood bench --workload}. */
    static final List<String> GENERATION = List.of("W", "W-shared");
    /** The scoring workloads by name, for {@code flood score --workload}. */
    static final List<String> SCORING = List.of("S", "S-long");
    private static final int SHARED_SYSTEM_PROMPT_TOKENS = 1_000;
    private static final int LONG_DOCUMENTS = 256;
    private static final int LONG_DOCUMENT_TOKENS = 8_192;

    /** Text index of the first warm-up prompt: past every workload's, so the prefix cache holds none of theirs. */
    private static final int WARM_UP_FIRST_TEXT = 1 << 20;

    private static final String RESOURCE = "workload-w.json";
    /** Ids below this are left out (special and byte tokens sit low in most vocabularies). */
    private static final int FIRST_ID = 100;

    public Workload {
        inputLengths = List.copyOf(inputLengths);
        if (inputLengths.isEmpty() || inputLengths.stream().anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("workload " + name + " needs prompt lengths >= 1");
        }
        if (outputTokens < 0) {
            throw new IllegalArgumentException("workload " + name + " needs output_tokens >= 0, got " + outputTokens);
        }
        if (systemPromptTokens < 0) {
            throw new IllegalArgumentException("workload " + name + " needs a system prompt of >= 0 tokens, got "
                    + systemPromptTokens);
        }
    }

    /** Workload W as shipped with Flood. */
    public static Workload w() {
        try (InputStream in = Workload.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing from the classpath");
            }
            JsonNode root = new ObjectMapper().readTree(in);
            List<Integer> lengths = new ArrayList<>();
            root.get("input_lengths").forEach(n -> lengths.add(n.intValue()));
            return new Workload(root.get("name").asText(), lengths, root.get("output_tokens").intValue(), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** Workload W-shared: W's prompts behind one 1,000-token system prompt. */
    static Workload wShared() {
        Workload w = w();
        return new Workload("W-shared", w.inputLengths(), w.outputTokens(), SHARED_SYSTEM_PROMPT_TOKENS);
    }

    /** The generation workload called {@code name} (one of {@link #GENERATION}). */
    static Workload generation(String name) {
        return switch (name) {
            case "W" -> w();
            case "W-shared" -> wShared();
            default -> throw new IllegalArgumentException("unknown generation workload '" + name + "' (known: "
                    + String.join(", ", GENERATION) + ")");
        };
    }

    /** Workload S: W's prompts as texts to score. */
    static Workload s() {
        return new Workload("S", w().inputLengths(), 0, 0);
    }

    /** Workload S-long: 256 documents of 8,192 tokens to score. */
    static Workload sLong() {
        return new Workload("S-long", Collections.nCopies(LONG_DOCUMENTS, LONG_DOCUMENT_TOKENS), 0, 0);
    }

    /** The scoring workload called {@code name} (one of {@link #SCORING}). */
    static Workload scoring(String name) {
        return switch (name) {
            case "S" -> s();
            case "S-long" -> sLong();
            default -> throw new IllegalArgumentException("unknown scoring workload '" + name + "' (known: "
                    + String.join(", ", SCORING) + ")");
        };
    }

    /**
     * The first {@code count} prompts (or texts), whole, system prompt included, for a model of {@code vocabSize}
     * ids.
     */
    public List<List<Integer>> prompts(int count, int vocabSize) {
        if (count < 0 || count > inputLengths.size()) {
            throw new IllegalArgumentException("workload " + name + " has " + inputLengths.size() + " prompts, not "
                    + count);
        }
        List<List<Integer>> prompts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            prompts.add(prompt(i, inputLengths.get(i), vocabSize));
        }
        return prompts;
    }

    /**
     * {@code count} warm-up prompts of {@code numTokens} ids each, built by the same rule from text index 2^20 on:
     * none shares a prefix with a workload's texts, so none leaves them a prefix-cache hit.
     */
    public static List<List<Integer>> warmUpPrompts(int count, int numTokens, int vocabSize) {
        List<List<Integer>> prompts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            prompts.add(promptTokens(WARM_UP_FIRST_TEXT + i, numTokens, vocabSize));
        }
        return prompts;
    }

    /**
     * The ids of prompt {@code index}: the system prompt's, then the workload's own prompt {@code index} cut to
     * {@code ownTokens}, for a model of {@code vocabSize} ids.
     */
    List<Integer> prompt(int index, int ownTokens, int vocabSize) {
        List<Integer> ids = new ArrayList<>(promptTokens(inputLengths.size(), systemPromptTokens, vocabSize));
        ids.addAll(promptTokens(index, ownTokens, vocabSize));
        return ids;
    }

    /** The ids of W's prompt {@code index} cut to {@code numTokens}, for a model of {@code vocabSize} ids. */
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
