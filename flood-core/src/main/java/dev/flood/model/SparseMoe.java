package dev.flood.model;

import dev.flood.backend.Backend;
import dev.flood.backend.ExpertRouting;
import dev.flood.backend.RouterSpec;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import java.util.ArrayList;
import java.util.List;

/**
 * The sparse feed-forward sublayer of Qwen3-MoE and Mixtral: a router picks each token's top-k experts, each a
 * SiLU-gated MLP, and the token's output is their outputs' weighted sum. Every expert's weights are stacked into
 * one matrix per projection, so the backend runs all experts of a step in one grouped operation.
 */
final class SparseMoe implements FeedForward {

    private final int numExperts;
    private final int intermediateSize;
    private final RouterSpec routerSpec;
    private final Weight router;   // [numExperts, hidden]
    private final Weight gateUp;   // [numExperts * 2 * intermediate, hidden]: expert e's gate rows, then its up rows
    private final Weight down;     // [numExperts * hidden, intermediate]: expert e's rows e * hidden ..

    private SparseMoe(FeedForwardSpec.Sparse spec, Weight router, Weight gateUp, Weight down) {
        this.numExperts = spec.numExperts();
        this.intermediateSize = spec.intermediateSize();
        this.routerSpec = spec.router();
        this.router = router;
        this.gateUp = gateUp;
        this.down = down;
    }

    static SparseMoe load(FeedForwardSpec.Sparse spec, FeedForward.LayerSource layer, Backend backend) {
        ExpertWeightNames names = layer.names().experts();
        if (names == null) {
            throw new IllegalStateException("layer " + layer.layer()
                    + " is sparse but the architecture names no expert weights");
        }
        int hidden = layer.config().hiddenSize();
        int width = spec.intermediateSize();
        List<String> gateUpNames = new ArrayList<>();
        List<Integer> gateUpRows = new ArrayList<>();
        List<String> downNames = new ArrayList<>();
        List<Integer> downRows = new ArrayList<>();
        for (int e = 0; e < spec.numExperts(); e++) {
            gateUpNames.add(layer.name(names.expert(e, names.gateProj())));
            gateUpNames.add(layer.name(names.expert(e, names.upProj())));
            gateUpRows.add(width);
            gateUpRows.add(width);
            downNames.add(layer.name(names.expert(e, names.downProj())));
            downRows.add(hidden);
        }
        Weight router = backend.loadMatrix(layer.source(), List.of(layer.name(names.router())),
                List.of(spec.numExperts()), hidden);
        Weight gateUp = backend.loadMatrix(layer.source(), gateUpNames, gateUpRows, hidden);
        Weight down = backend.loadMatrix(layer.source(), downNames, downRows, width);
        return new SparseMoe(spec, router, gateUp, down);
    }

    @Override
    public void forward(Backend backend, Tensor normed, Residual residual, DecoderLayer.Scratch scratch) {
        int numTokens = normed.rows();
        int numPairs = numTokens * routerSpec.topK();
        Tensor logits = scratch.tensor("routerLogits", numTokens, numExperts);
        backend.linear(normed, router, null, logits);
        ExpertRouting routing = backend.routeExperts(logits, routerSpec);
        Tensor gateUpOut = scratch.tensor("expertGateUp", numPairs, 2 * intermediateSize);
        backend.expertLinear(normed, routing, gateUp, gateUpOut);
        Tensor activated = scratch.tensor("expertActivated", numPairs, intermediateSize);
        backend.siluMul(gateUpOut, activated);
        Tensor stream = residual.stream();
        Tensor expertOut = scratch.tensor("expertOut", numPairs, stream.cols());
        backend.expertLinear(activated, routing, down, expertOut);
        Tensor out = scratch.tensor("projected", numTokens, stream.cols());
        backend.combineExperts(expertOut, routing, out);
        backend.addRmsNorm(stream, out, residual.nextNorm(), residual.eps(), normed);
    }
}
