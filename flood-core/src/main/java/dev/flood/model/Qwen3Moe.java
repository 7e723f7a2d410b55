package dev.flood.model;

import dev.flood.backend.RouterSpec;
import dev.flood.config.ModelConfig;
import dev.flood.config.MoeConfig;

/**
 * {@code Qwen3MoeForCausalLM}: Qwen3's attention, and in place of the MLP a router over {@code num_experts}
 * experts of width {@code moe_intermediate_size}: softmax over all experts, the top {@code num_experts_per_tok},
 * renormalized when {@code norm_topk_prob}. Layer i is sparse unless it is in {@code mlp_only_layers} or
 * {@code (i + 1) % decoder_sparse_step != 0} (or there are no experts); dense layers are MLPs of
 * {@code intermediate_size}. With {@code use_sliding_window}, every layer has the window.
 */
final class Qwen3Moe implements Architecture {
    @Override
    public DecoderOptions options(ModelConfig config) {
        MoeConfig moe = config.moe();
        if (moe == null) {
            throw new IllegalArgumentException("'num_experts' is missing: a Qwen3-MoE config names its experts");
        }
        FeedForwardSpec dense = new FeedForwardSpec.Dense(config.intermediateSize());
        FeedForwardSpec sparse = moe.numExperts() == 0 ? dense : new FeedForwardSpec.Sparse(moe.numExperts(),
                moe.expertIntermediateSize(), new RouterSpec(moe.numExpertsPerToken(), moe.normTopkProb()));
        return new DecoderOptions(config.attentionBias(), config.attentionBias(), true,
                LayerOptions.of(SlidingWindows.qwenEveryLayer(config), layer ->
                        !moe.mlpOnlyLayers().contains(layer) && (layer + 1) % moe.decoderSparseStep() == 0
                                ? sparse : dense));
    }

    @Override
    public WeightNames weightNames() {
        return WeightNames.LLAMA.withExperts(ExpertWeightNames.QWEN3_MOE);
    }
}
