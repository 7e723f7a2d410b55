package dev.flood.api;

import java.util.List;
import java.util.Objects;

/**
 * One prompt to continue: either text (tokenized by the engine, special tokens added as the tokenizer's
 * post-processor says) or token ids given directly. Exactly one of {@code prompt} and {@code promptTokenIds}
 * is non-null; a request with neither is accepted here and reported as an error result by the engine, so a
 * batch with one bad row still returns every other row.
 */
public record GenerateRequest(String prompt, List<Integer> promptTokenIds, SamplingParams sampling) {

    public GenerateRequest {
        Objects.requireNonNull(sampling, "sampling");
        if (prompt != null && promptTokenIds != null) {
            throw new IllegalArgumentException("give either prompt text or prompt token ids, not both");
        }
        if (promptTokenIds != null) {
            promptTokenIds = List.copyOf(promptTokenIds);
        }
    }

    public static GenerateRequest of(String prompt, SamplingParams sampling) {
        return new GenerateRequest(prompt, null, sampling);
    }

    public static GenerateRequest ofTokens(List<Integer> promptTokenIds, SamplingParams sampling) {
        return new GenerateRequest(null, Objects.requireNonNull(promptTokenIds, "promptTokenIds"), sampling);
    }
}
