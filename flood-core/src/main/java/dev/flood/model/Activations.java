package dev.flood.model;

import dev.flood.backend.Tensor;

/**
 * The residual stream of a step where one pipeline stage hands over to the next, both {@code [numTokens, hidden]}:
 * the residual itself (float32 on every backend) and the residual already normed by the next layer's input norm,
 * in the type that norm writes (bf16 on CUDA). Both cross the boundary, so the next stage continues exactly where
 * the whole model would be at that layer.
 */
public record Activations(Tensor residual, Tensor normed) {
}
