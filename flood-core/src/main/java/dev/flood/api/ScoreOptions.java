package dev.flood.api;

import java.util.Objects;

/**
 * How a text is scored when it is longer than the model can read at once. By default a text longer than
 * {@code maxLength} tokens is scored with Hugging Face's strided sliding window (the procedure of
 * transformers' "Perplexity of fixed-length models" guide): windows of at most {@code maxLength} tokens start
 * every {@code stride} tokens, and each window scores only the tokens no earlier window scored, so every token is
 * scored once, given as many tokens before it as its window holds (at least {@code maxLength - stride} once the
 * text is that long). With {@link LongTexts#REJECT} such a text fails instead.
 *
 * @param maxLength tokens in one window; 0 means the model's context ({@code max_position_embeddings})
 * @param stride    tokens between window starts, below {@code maxLength}; 0 means half of {@code maxLength}
 * @param longTexts what happens to a text longer than {@code maxLength}
 */
public record ScoreOptions(int maxLength, int stride, LongTexts longTexts) {

    /** The model's context as the window, a stride of half of it, sliding windows on. */
    public static final ScoreOptions DEFAULTS = new ScoreOptions(0, 0, LongTexts.SLIDING_WINDOW);

    /** What scoring does with a text longer than the window. */
    public enum LongTexts {
        /** Score it in strided windows (the default). */
        SLIDING_WINDOW,
        /** Fail it with an error naming its length. */
        REJECT
    }

    public ScoreOptions {
        Objects.requireNonNull(longTexts, "longTexts");
        if (maxLength < 0) {
            throw new IllegalArgumentException("max_length must be >= 0 (0 = the model's context), got " + maxLength);
        }
        if (stride < 0) {
            throw new IllegalArgumentException("stride must be >= 0 (0 = half of max_length), got " + stride);
        }
        if (maxLength > 0 && stride >= maxLength) {
            throw new IllegalArgumentException("stride " + stride + " must be below max_length " + maxLength
                    + ": each window after the first must reach back over tokens already scored");
        }
        if (maxLength == 1) {
            throw new IllegalArgumentException("max_length must be at least 2 to score a token, got 1");
        }
    }

    public ScoreOptions withMaxLength(int value) {
        return new ScoreOptions(value, stride, longTexts);
    }

    public ScoreOptions withStride(int value) {
        return new ScoreOptions(maxLength, value, longTexts);
    }

    public ScoreOptions withLongTexts(LongTexts value) {
        return new ScoreOptions(maxLength, stride, value);
    }

    /** The window for a model of {@code contextTokens}: {@code maxLength}, or the context when it is 0. */
    public int windowTokens(int contextTokens) {
        if (maxLength > contextTokens) {
            throw new IllegalArgumentException("max_length " + maxLength + " exceeds the model's context of "
                    + contextTokens + " tokens");
        }
        return maxLength == 0 ? contextTokens : maxLength;
    }

    /** The stride for a window of {@code windowTokens}: {@code stride}, or half the window when it is 0. */
    public int strideTokens(int windowTokens) {
        if (stride >= windowTokens) {
            throw new IllegalArgumentException("stride " + stride + " must be below the window of " + windowTokens
                    + " tokens (max_length)");
        }
        return stride == 0 ? Math.max(1, windowTokens / 2) : stride;
    }
}
