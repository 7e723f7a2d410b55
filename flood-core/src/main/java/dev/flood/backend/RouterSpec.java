package dev.flood.backend;

/**
 * How a mixture-of-experts router turns its logits into choices, as transformers' Qwen3-MoE and Mixtral routers do:
 * a float32 softmax over all experts, the {@code topK} most probable (ties to the lower expert index), and, when
 * {@code renormalize}, their probabilities divided by their sum (Mixtral always; Qwen3-MoE with
 * {@code norm_topk_prob}).
 */
public record RouterSpec(int topK, boolean renormalize) {

    public RouterSpec {
        if (topK < 1) {
            throw new IllegalArgumentException("a router chooses at least one expert, got top-k " + topK);
        }
    }
}
