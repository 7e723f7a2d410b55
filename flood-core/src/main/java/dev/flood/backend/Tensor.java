package dev.flood.backend;

/**
 * A backend-owned 2-D activation, {@code [rows, cols]} row-major (rows are tokens). Only the backend that made
 * it reads its storage; the model sees shapes.
 */
public interface Tensor {

    int rows();

    int cols();
}
