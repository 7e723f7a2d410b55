package dev.flood.api;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * How one request picks its tokens, with Hugging Face semantics for the logit transforms. Build with
 * {@link #builder()}; the record validates every value once, so an invalid request fails before it is queued.
 *
 * <p>Order of transforms (as Hugging Face's {@code generate}): repetition penalty, presence and frequency
 * penalties, then temperature, top-k, top-p, min-p. {@code temperature == 0} is greedy decoding (argmax of the
 * penalized logits).
 *
 * @param temperature       0 for greedy, else > 0
 * @param topK              keep the k most likely tokens; 0 disables
 * @param topP              keep the smallest set whose probability reaches top-p; in (0, 1], 1 disables
 * @param minP              drop tokens less likely than minP times the most likely; in [0, 1], 0 disables
 * @param repetitionPenalty Hugging Face's (CTRL) penalty over prompt and generated tokens; > 0, 1 disables
 * @param presencePenalty   subtracted once from each generated token's logit; in [-2, 2]
 * @param frequencyPenalty  subtracted per occurrence of each generated token; in [-2, 2]
 * @param maxNewTokens      at least 1
 * @param stopTokenIds      extra ids that end generation (the model's EOS ids end it unless ignoreEos)
 * @param stopStrings       texts that end generation; the result's text ends before the stop string
 * @param ignoreEos         keep generating past EOS until maxNewTokens
 * @param logprobs          how many top log-probabilities to return per generated token; 0 for none
 * @param seed              the request's random seed; the same seed gives the same tokens whatever the batch
 */
public record SamplingParams(
        double temperature,
        int topK,
        double topP,
        double minP,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty,
        int maxNewTokens,
        List<Integer> stopTokenIds,
        List<String> stopStrings,
        boolean ignoreEos,
        int logprobs,
        OptionalLong seed) {

    /** Most top log-probabilities a request may ask for per token. */
    public static final int MAX_LOGPROBS = 20;

    public SamplingParams {
        stopTokenIds = List.copyOf(Objects.requireNonNull(stopTokenIds, "stopTokenIds"));
        stopStrings = List.copyOf(Objects.requireNonNull(stopStrings, "stopStrings"));
        Objects.requireNonNull(seed, "seed");
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0 (0 means greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 disables it), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
        }
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be > 0 (1 disables it), got " + repetitionPenalty);
        }
        if (!(Math.abs(presencePenalty) <= 2)) {
            throw new IllegalArgumentException("presence_penalty must be in [-2, 2], got " + presencePenalty);
        }
        if (!(Math.abs(frequencyPenalty) <= 2)) {
            throw new IllegalArgumentException("frequency_penalty must be in [-2, 2], got " + frequencyPenalty);
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxNewTokens);
        }
        if (logprobs < 0 || logprobs > MAX_LOGPROBS) {
            throw new IllegalArgumentException("logprobs must be in [0, " + MAX_LOGPROBS + "], got " + logprobs);
        }
        for (String stop : stopStrings) {
            if (stop == null || stop.isEmpty()) {
                throw new IllegalArgumentException("stop strings must be non-empty");
            }
        }
        for (Integer id : stopTokenIds) {
            if (id == null || id < 0) {
                throw new IllegalArgumentException("stop token ids must be >= 0, got " + id);
            }
        }
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens. */
    public static SamplingParams greedy(int maxNewTokens) {
        return builder().maxNewTokens(maxNewTokens).build();
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.repetitionPenalty = repetitionPenalty;
        b.presencePenalty = presencePenalty;
        b.frequencyPenalty = frequencyPenalty;
        b.maxNewTokens = maxNewTokens;
        b.stopTokenIds = stopTokenIds;
        b.stopStrings = stopStrings;
        b.ignoreEos = ignoreEos;
        b.logprobs = logprobs;
        b.seed = seed;
        return b;
    }

    /** Defaults: greedy, no penalties, 16 new tokens, stop at EOS. */
    public static final class Builder {
        private double temperature = 0;
        private int topK = 0;
        private double topP = 1;
        private double minP = 0;
        private double repetitionPenalty = 1;
        private double presencePenalty = 0;
        private double frequencyPenalty = 0;
        private int maxNewTokens = 16;
        private List<Integer> stopTokenIds = List.of();
        private List<String> stopStrings = List.of();
        private boolean ignoreEos = false;
        private int logprobs = 0;
        private OptionalLong seed = OptionalLong.empty();

        public Builder temperature(double value) { temperature = value; return this; }
        public Builder topK(int value) { topK = value; return this; }
        public Builder topP(double value) { topP = value; return this; }
        public Builder minP(double value) { minP = value; return this; }
        public Builder repetitionPenalty(double value) { repetitionPenalty = value; return this; }
        public Builder presencePenalty(double value) { presencePenalty = value; return this; }
        public Builder frequencyPenalty(double value) { frequencyPenalty = value; return this; }
        public Builder maxNewTokens(int value) { maxNewTokens = value; return this; }
        public Builder stopTokenIds(List<Integer> value) { stopTokenIds = value; return this; }
        public Builder stopStrings(List<String> value) { stopStrings = value; return this; }
        /** Keep generating past EOS until {@code maxNewTokens}. */
        public Builder ignoreEos() { ignoreEos = true; return this; }
        public Builder logprobs(int value) { logprobs = value; return this; }
        public Builder seed(long value) { seed = OptionalLong.of(value); return this; }

        public SamplingParams build() {
            return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
                    frequencyPenalty, maxNewTokens, stopTokenIds, stopStrings, ignoreEos, logprobs, seed);
        }
    }
}
