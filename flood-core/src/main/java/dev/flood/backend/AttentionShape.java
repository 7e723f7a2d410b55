package dev.flood.backend;

/**
 * Head counts of one attention layer and where its parts sit in the packed {@code qkv} activation
 * {@code [numTokens, (numHeads + 2 * numKvHeads) * headDim]}: queries at column 0, keys at {@link #kColumn()},
 * values at {@link #vColumn()}. Query head {@code h} reads key/value head {@code h / (numHeads / numKvHeads)}.
 */
public record AttentionShape(int numHeads, int numKvHeads, int headDim, float scale) {

    public AttentionShape {
        if (numHeads < 1 || numKvHeads < 1 || numHeads % numKvHeads != 0 || headDim < 1) {
            throw new IllegalArgumentException("bad attention shape: " + numHeads + " heads, " + numKvHeads
                    + " kv heads, head dim " + headDim);
        }
    }

    public static AttentionShape of(int numHeads, int numKvHeads, int headDim) {
        return new AttentionShape(numHeads, numKvHeads, headDim, (float) (1.0 / Math.sqrt(headDim)));
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
