package dev.flood.model;

import dev.flood.backend.Backend;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import java.util.List;

/** The dense feed-forward sublayer: {@code down(silu(gate(x)) * up(x))}, gate and up packed in one weight. */
final class GatedMlp implements FeedForward {

    private final int intermediateSize;
    private final Weight gateUp;  // [2 * intermediate, hidden]: gate_proj, up_proj rows
    private final Weight down;    // [hidden, intermediate]

    private GatedMlp(int intermediateSize, Weight gateUp, Weight down) {
        this.intermediateSize = intermediateSize;
        this.gateUp = gateUp;
        this.down = down;
    }

    static GatedMlp load(FeedForwardSpec.Dense spec, FeedForward.LayerSource layer, Backend backend) {
        int width = spec.intermediateSize();
        int hidden = layer.config().hiddenSize();
        WeightNames names = layer.names();
        Weight gateUp = backend.loadLinear(layer.source(), List.of(WeightNames.weight(layer.name(names.gateProj())),
                WeightNames.weight(layer.name(names.upProj()))), List.of(width, width), hidden);
        Weight down = backend.loadLinear(layer.source(), List.of(WeightNames.weight(layer.name(names.downProj()))),
                List.of(hidden), width);
        return new GatedMlp(width, gateUp, down);
    }

    @Override
    public void forward(Backend backend, Tensor normed, Residual residual, DecoderLayer.Scratch scratch) {
        int numTokens = normed.rows();
        Tensor gateUpOut = scratch.tensor("gateUp", numTokens, 2 * intermediateSize);
        backend.linearForActivation(normed, gateUp, gateUpOut);
        Tensor activated = scratch.tensor("activated", numTokens, intermediateSize);
        backend.siluMul(gateUpOut, activated);
        Tensor stream = residual.stream();
        backend.linearAdd(activated, down, null, scratch.tensor("projected", numTokens, stream.cols()), stream);
        backend.rmsNorm(stream, residual.nextNorm(), residual.eps(), normed);
    }
}
