package dev.flood.model;

import dev.flood.backend.RouterSpec;
import dev.flood.config.ModelConfig;
import dev.flood.config.MoeConfig;

/**
 * {@code MixtralForCausalLM}: Mistral's attention (no biases; every layer within {@code sliding_window} when it is
 * set, none when absent), and in every layer a router over {@code num_local_experts} experts of width
 * {@code intermediate_size}: softmax over all experts, the top {@code num_experts_per_tok}, always renormalized (the
 * same as a softmax over the chosen experts' logits). {@code router_jitter_noise} acts in training only.
 */
final class Mixtral implements Architecture {
    @Override
    public DecoderOptions options(ModelConfig config) {
        MoeConfig moe = config.moe();
        if (moe == null || moe.numExperts() == 0) {
            throw new IllegalArgumentException("'num_local_experts' is " + (moe == null ? "missing" : "0")
                    + ": a Mixtral config names its experts");
        }
        FeedForwardSpec sparse = new FeedForwardSpec.Sparse(moe.numExperts(), config.intermediateSize(),
                new RouterSpec(moe.numExpertsPerToken(), true));
        return new DecoderOptions(false, false, false,
                LayerOptions.of(SlidingWindows.everyLayer(config, 0), layer -> sparse));
    }

    @Override
    public WeightNames weightNames() {
        return WeightNames.LLAMA.withExperts(ExpertWeightNames.MIXTRAL);
    }
}
