package dev.flood.backend;

/** {@code numHeads} consecutive heads of width {@code headDim} starting at column {@code firstColumn}. */
public record HeadSpan(int firstColumn, int numHeads, int headDim) {
    public HeadSpan {
        if (firstColumn < 0 || numHeads < 1 || headDim < 1) {
            throw new IllegalArgumentException("bad head span " + firstColumn + "/" + numHeads + "/" + headDim);
        }
    }
}
