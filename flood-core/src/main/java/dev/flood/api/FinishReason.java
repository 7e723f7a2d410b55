package dev.flood.api;

/** Why a generation ended. */
public enum FinishReason {
    /** An EOS id, a stop token id or a stop string was produced. */
    STOP,
    /** {@code maxNewTokens} were generated, or the model's context was full. */
    LENGTH,
    /** The request failed; {@link GenerationResult#error()} says why. */
    ERROR,
    /**
     * The caller cancelled the request ({@link java.util.concurrent.CompletableFuture#cancel} on its future, or
     * {@link GenerationHandle#cancel}); the result holds what was generated until then.
     */
    CANCELLED;

    /** The lower-case name used in JSON output: {@code stop}, {@code length}, {@code error}, {@code cancelled}. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
