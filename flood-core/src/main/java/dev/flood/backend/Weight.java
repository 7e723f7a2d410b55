package dev.flood.backend;

import dev.flood.weights.DType;

/**
 * A backend-owned parameter: a matrix {@code [rows, cols]} (a linear layer's {@code [outFeatures, inFeatures]},
 * or an embedding table {@code [vocab, hidden]}) or a vector ({@code rows == 1}).
 */
public interface Weight {

    int rows();

    int cols();

    /** The element type the backend holds it in (its bytes per value; FP8 matrices run FP8 products). */
    default DType storageType() {
        return DType.F32;
    }
}
