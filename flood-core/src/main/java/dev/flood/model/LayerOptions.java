package dev.flood.model;

import dev.flood.config.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * What differs from one decoder layer to the next within a model.
 *
 * @param slidingWindow the attention's sliding window in tokens, 0 for none
 * @param feedForward   the layer's feed-forward sublayer
 */
public record LayerOptions(int slidingWindow, FeedForwardSpec feedForward) {

    public LayerOptions {
        Objects.requireNonNull(feedForward, "feedForward");
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("sliding window " + slidingWindow);
        }
    }

    /** One entry per layer: layer i has window {@code windows[i]} and feed-forward sublayer {@code feedForward(i)}. */
    static List<LayerOptions> of(int[] windows, IntFunction<FeedForwardSpec> feedForward) {
        List<LayerOptions> layers = new ArrayList<>(windows.length);
        for (int i = 0; i < windows.length; i++) {
            layers.add(new LayerOptions(windows[i], feedForward.apply(i)));
        }
        return layers;
    }

    /** Every layer a dense MLP of the config's {@code intermediate_size}. */
    static List<LayerOptions> dense(ModelConfig config, int[] windows) {
        FeedForwardSpec mlp = new FeedForwardSpec.Dense(config.intermediateSize());
        return of(windows, layer -> mlp);
    }
}
