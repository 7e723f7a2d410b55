package dev.flood.api;

/** Why a generation ended. */
public enum FinishReason {
    /** An EOS id, a stop token id or a stop string was produced. */
    STOP,
    /** {@code maxNewTokens} were generated, or the model's context was full. */
    LENGTH,
    /** The request failed; {@link GenerationResult#error()} says why. */
    ERROR;

    /** The lower-case name used in JSON output: {@code stop}, {@code length}, {@code error}. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
