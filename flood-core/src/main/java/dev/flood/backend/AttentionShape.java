package dev.flood.backend;

/**
 * Head counts of one attention layer and where its parts sit in the packed {@code qkv} activation
 * {@code [numTokens, (numHeads + 2 * numKvHeads) * headDim]}: queries at column 0, keys at {@link #kColumn()},
 * values at {@link #vColumn()}. Query head {@code h} reads key/value head {@code h / (numHeads / numKvHeads)}.
 *
 * <p>A query at position p attends to context tokens 0 .. p (causal), or with a sliding window of
 * {@code slidingWindow} tokens to p - slidingWindow + 1 .. p only (transformers' mask: key > p - window);
 * {@code slidingWindow} 0 means no window.
 */
public record AttentionShape(int numHeads, int numKvHeads, int headDim, float scale, int slidingWindow) {

    public AttentionShape {
        if (numHeads < 1 || numKvHeads < 1 || numHeads % numKvHeads != 0 || headDim < 1) {
            throw new IllegalArgumentException("bad attention shape: " + numHeads + " heads, " + numKvHeads
                    + " kv heads, head dim " + headDim);
        }
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("a sliding window must be positive (or 0 for none), got "
                    + slidingWindow);
        }
    }

    public static AttentionShape of(int numHeads, int numKvHeads, int headDim) {
        return new AttentionShape(numHeads, numKvHeads, headDim, (float) (1.0 / Math.sqrt(headDim)), 0);
    }

    /** The same heads with a sliding window of {@code window} tokens (0: none). */
    public AttentionShape withSlidingWindow(int window) {
        return new AttentionShape(numHeads, numKvHeads, headDim, scale, window);
    }

    /** The first context position a query at {@code position} attends to. */
    public int firstVisible(int position) {
        return slidingWindow == 0 ? 0 : Math.max(0, position - slidingWindow + 1);
    }

    public int qSize() {
        return numHeads * headDim;
    }

    public int kvSize() {
        return numKvHeads * headDim;
    }

    public int kColumn() {
        return qSize();
    }

    public int vColumn() {
        return qSize() + kvSize();
    }

    public int qkvWidth() {
        return qSize() + 2 * kvSize();
    }

    public int queriesPerKvHead() {
        return numHeads / numKvHeads;
    }
}
