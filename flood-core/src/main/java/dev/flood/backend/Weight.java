package dev.flood.backend;

/**
 * A backend-owned parameter: a matrix {@code [rows, cols]} (a linear layer's {@code [outFeatures, inFeatures]},
 * or an embedding table {@code [vocab, hidden]}) or a vector ({@code rows == 1}).
 */
public interface Weight {

    int rows();

    int cols();
}
