package dev.flood.model;

/**
 * Where a mixture-of-experts checkpoint keeps each sparse layer's router and experts, as data. Names are relative
 * to the layer ({@code model.layers.3.}); expert e's projection {@code gate} is
 * {@code experts + e + "." + gate + ".weight"}.
 *
 * @param router   the router's weight {@code [numExperts, hidden]}
 * @param experts  the prefix of the experts' modules
 * @param gateProj each expert's gate projection {@code [intermediate, hidden]}
 * @param upProj   each expert's up projection {@code [intermediate, hidden]}
 * @param downProj each expert's down projection {@code [hidden, intermediate]}
 */
public record ExpertWeightNames(String router, String experts, String gateProj, String upProj, String downProj) {

    public static final ExpertWeightNames QWEN3_MOE = new ExpertWeightNames(
            "mlp.gate.weight", "mlp.experts.", "gate_proj", "up_proj", "down_proj");

    /** Mixtral's w1 is the gate, w3 the up and w2 the down projection. */
    public static final ExpertWeightNames MIXTRAL = new ExpertWeightNames(
            "block_sparse_moe.gate.weight", "block_sparse_moe.experts.", "w1", "w3", "w2");

    /** Expert {@code expert}'s {@code projection} weight, relative to its layer. */
    public String expert(int expert, String projection) {
        return experts + expert + "." + projection + ".weight";
    }
}
