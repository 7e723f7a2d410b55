package dev.flood.model;

/**
 * Where a checkpoint keeps each parameter, as data. Layer names are relative to {@code layerPrefix + i + "."};
 * projections name a module ({@code self_attn.q_proj}) whose {@code .weight} and {@code .bias} are read; a
 * mixture-of-experts checkpoint's sparse layers keep their router and experts where {@code experts} says (null for
 * a dense model). Llama, Mistral, Qwen2 and Qwen3 checkpoints share {@link #LLAMA}; Qwen3-MoE and Mixtral add their
 * expert names to it.
 */
public record WeightNames(String embedTokens, String layerPrefix, String inputNorm, String qProj, String kProj,
                          String vProj, String oProj, String qNorm, String kNorm, String postAttentionNorm,
                          String gateProj, String upProj, String downProj, String finalNorm, String lmHead,
                          ExpertWeightNames experts) {

    public static final WeightNames LLAMA = new WeightNames(
            "model.embed_tokens.weight", "model.layers.",
            "input_layernorm.weight",
            "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
            "self_attn.q_norm.weight", "self_attn.k_norm.weight",
            "post_attention_layernorm.weight",
            "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj",
            "model.norm.weight", "lm_head.weight",
            null);

    /** These names with a sparse layer's router and experts at {@code expertNames}. */
    public WeightNames withExperts(ExpertWeightNames expertNames) {
        return new WeightNames(embedTokens, layerPrefix, inputNorm, qProj, kProj, vProj, oProj, qNorm, kNorm,
                postAttentionNorm, gateProj, upProj, downProj, finalNorm, lmHead, expertNames);
    }

    /** The full name of a layer's parameter, e.g. {@code model.layers.3.input_layernorm.weight}. */
    public String layer(int layer, String name) {
        return layerPrefix + layer + "." + name;
    }

    public static String weight(String module) {
        return module + ".weight";
    }

    public static String bias(String module) {
        return module + ".bias";
    }
}
