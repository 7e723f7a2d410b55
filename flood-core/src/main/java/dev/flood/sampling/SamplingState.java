package dev.flood.sampling;

import dev.flood.api.SamplingParams;

import java.util.Objects;

/**
 * What the sampler needs to know about one request's history. One per request, owned by the engine thread
 * (not thread-safe): the engine calls {@link #accept} with every token it appends, in order.
 *
 * <p>It records only what the request's penalties read, in one {@link TokenCounts} table whose size follows the
 * number of distinct ids, never the vocabulary:
 * <ul>
 *   <li>repetition penalty on (Hugging Face, over {@code input_ids}): every prompt and generated id is present;
 *   <li>presence or frequency penalty on (OpenAI / vLLM, generated tokens only): each generated id's count.
 * </ul>
 * Prompt ids enter with count 0, so "present" and "counted" share the table. With no penalty the table stays
 * empty and only {@link #numGenerated()} advances.
 *
 * <p>A request with a response format also carries its {@link TokenConstraint}: samplers read its mask, and
 * {@link #accept} advances it with every token.
 */
public final class SamplingState {

    private final SamplingParams params;
    private final long seed;
    private final int vocabSize;
    private final boolean recordsPresence;
    private final boolean recordsCounts;
    private final TokenCounts tokens = new TokenCounts();
    private final TokenConstraint constraint;   // null for free text
    private int numGenerated;

    /**
     * @param params         the request's sampling parameters
     * @param seed           the effective seed: {@code params.seed()} if set, else one the engine chose
     * @param vocabSize      width of a logits row; every token id is in [0, vocabSize)
     * @param promptTokenIds the prompt, read here and not kept
     */
    public SamplingState(SamplingParams params, long seed, int vocabSize, int[] promptTokenIds) {
        this(params, seed, vocabSize, promptTokenIds, null);
    }

    /** As the four-argument form, with the request's output held to {@code constraint} (null for free text). */
    public SamplingState(SamplingParams params, long seed, int vocabSize, int[] promptTokenIds,
                         TokenConstraint constraint) {
        this.params = Objects.requireNonNull(params, "params");
        this.constraint = constraint;
        Objects.requireNonNull(promptTokenIds, "promptTokenIds");
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabSize must be >= 1, got " + vocabSize);
        }
        this.seed = seed;
        this.vocabSize = vocabSize;
        this.recordsPresence = params.repetitionPenalty() != 1;
        this.recordsCounts = params.presencePenalty() != 0 || params.frequencyPenalty() != 0;
        for (int position = 0; position < promptTokenIds.length; position++) {
            int tokenId = promptTokenIds[position];
            if (tokenId < 0 || tokenId >= vocabSize) {
                throw new IllegalArgumentException("prompt token id " + tokenId + " at position " + position
                        + " is outside the vocabulary [0, " + vocabSize + ")");
            }
            if (recordsPresence) {
                tokens.addPresent(tokenId);
            }
        }
    }

    /**
     * Records a token the engine appended to the request; the next draw uses counter {@code numGenerated()}. A
     * constraint advances too, and may throw (see {@link TokenConstraint#accept}).
     */
    public void accept(int tokenId) {
        if (tokenId < 0 || tokenId >= vocabSize) {
            throw new IllegalArgumentException("generated token id " + tokenId
                    + " is outside the vocabulary [0, " + vocabSize + ")");
        }
        if (constraint != null) {
            constraint.accept(tokenId);
        }
        if (recordsCounts) {
            tokens.increment(tokenId);
        } else if (recordsPresence) {
            tokens.addPresent(tokenId);
        }
        numGenerated++;
    }

    /** Tokens accepted so far; also the {@link CounterRng} counter of the next draw. */
    public int numGenerated() {
        return numGenerated;
    }

    /** The request's output constraint, or null for free text. */
    public TokenConstraint constraint() {
        return constraint;
    }

    public SamplingParams params() {
        return params;
    }

    public long seed() {
        return seed;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /**
     * Prompt and generated ids (present, count >= 0) when the repetition penalty is on; generated ids with their
     * counts when presence or frequency penalties are on; empty otherwise.
     */
    TokenCounts tokens() {
        return tokens;
    }
}
