package dev.flood.config;

import java.util.List;

/**
 * The expert fields of a mixture-of-experts {@code config.json}, as written. Which layers are sparse and how the
 * routing weights are normalized is the architecture's business (Qwen3-MoE reads {@code norm_topk_prob},
 * {@code decoder_sparse_step} and {@code mlp_only_layers}; Mixtral routes every layer and always renormalizes).
 *
 * @param numExperts             {@code num_experts} (Qwen3-MoE) or {@code num_local_experts} (Mixtral); 0 leaves
 *                               every layer dense, as transformers does
 * @param numExpertsPerToken     {@code num_experts_per_tok}: experts each token is routed to
 * @param expertIntermediateSize {@code moe_intermediate_size} when given (Qwen3-MoE), else {@code intermediate_size}
 *                               (Mixtral's experts are as wide as its config's MLP)
 * @param normTopkProb           {@code norm_topk_prob}; false when absent (transformers' default)
 * @param decoderSparseStep      {@code decoder_sparse_step}, 1 when absent: layer i may be sparse when
 *                               {@code (i + 1) % decoderSparseStep == 0}
 * @param mlpOnlyLayers          {@code mlp_only_layers}: layers that stay dense; empty when absent
 */
public record MoeConfig(int numExperts, int numExpertsPerToken, int expertIntermediateSize, boolean normTopkProb,
                        int decoderSparseStep, List<Integer> mlpOnlyLayers) {

    public MoeConfig {
        mlpOnlyLayers = List.copyOf(mlpOnlyLayers);
        if (numExperts < 0) {
            throw new IllegalArgumentException("num_experts must not be negative, got " + numExperts);
        }
        if (numExperts > 0 && (numExpertsPerToken < 1 || numExpertsPerToken > numExperts)) {
            throw new IllegalArgumentException("num_experts_per_tok must be between 1 and num_experts (" + numExperts
                    + "), got " + numExpertsPerToken);
        }
        if (expertIntermediateSize <= 0) {
            throw new IllegalArgumentException("the experts' intermediate size must be positive, got "
                    + expertIntermediateSize);
        }
        if (decoderSparseStep < 1) {
            throw new IllegalArgumentException("decoder_sparse_step must be at least 1, got " + decoderSparseStep);
        }
    }
}
