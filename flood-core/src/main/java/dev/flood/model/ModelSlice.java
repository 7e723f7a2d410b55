package dev.flood.model;

import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.RotaryTable;
import dev.flood.backend.StepHead;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.config.ModelConfig;
import dev.flood.weights.WeightSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of a decoder-only model that one pipeline stage runs on its backend, in three parts: the token
 * embedding (only on the slice that starts at layer 0), the decoder layers of its {@link LayerRange}, and the
 * head, final norm and lm_head (only on the slice that ends at the last layer). A single slice over every layer
 * is the whole model ({@link CausalLM}).
 *
 * <p>The KV cache of a slice's backend holds its own layers only: layer {@code first + i} writes and reads cache
 * layer {@code i}.
 */
public final class ModelSlice {

    private final ModelConfig config;
    private final Backend backend;
    private final LayerRange layers;
    private final RotaryTable rotary;
    private final Weight embedTokens;           // [vocab, hidden]; null unless the slice starts at layer 0
    private final List<DecoderLayer> decoderLayers;
    private final Weight boundaryNorm;          // [hidden]: input norm of layer `end`, or the final norm on the last slice
    private final Weight lmHead;                // [vocab, hidden]; null unless last; the embedding table when tied

    private ModelSlice(ModelConfig config, Backend backend, LayerRange layers, Weight embedTokens,
                       List<DecoderLayer> decoderLayers, Weight boundaryNorm, Weight lmHead) {
        this.config = config;
        this.backend = backend;
        this.layers = layers;
        this.rotary = RotaryTable.of(config.rope(), config.headDim(), config.maxPositions(), config.storageDtype());
        this.embedTokens = embedTokens;
        this.decoderLayers = decoderLayers;
        this.boundaryNorm = boundaryNorm;
        this.lmHead = lmHead;
    }

    /** Loads the slice's weights (and no others) of the architecture named by {@code config} onto {@code backend}. */
    public static ModelSlice load(ModelConfig config, WeightSource source, Backend backend, LayerRange layers) {
        if (layers.end() > config.numLayers()) {
            throw new IllegalArgumentException(layers + " is outside a model of " + config.numLayers() + " layers");
        }
        Architecture architecture = ModelRegistry.architecture(config.architecture());
        DecoderOptions options = architecture.options(config);
        WeightNames names = architecture.weightNames();
        int hidden = config.hiddenSize();
        boolean first = layers.first() == 0;
        boolean last = layers.end() == config.numLayers();
        Weight embed = first
                ? backend.loadMatrix(source, List.of(names.embedTokens()), List.of(config.vocabSize()), hidden) : null;
        List<DecoderLayer> decoderLayers = new ArrayList<>();
        for (int i = layers.first(); i < layers.end(); i++) {
            decoderLayers.add(new DecoderLayer(i, i - layers.first(), config, options, names, source, backend));
        }
        Weight boundaryNorm = backend.loadVector(source,
                List.of(last ? names.finalNorm() : names.layer(layers.end(), names.inputNorm())), List.of(hidden));
        Weight lmHead = null;
        if (last) {
            String headName = config.tieWordEmbeddings() ? names.embedTokens() : names.lmHead();
            lmHead = config.tieWordEmbeddings() && embed != null ? embed
                    : backend.loadMatrix(source, List.of(headName), List.of(config.vocabSize()), hidden);
        }
        return new ModelSlice(config, backend, layers, embed, List.copyOf(decoderLayers), boundaryNorm, lmHead);
    }

    public LayerRange layers() {
        return layers;
    }

    public ModelConfig config() {
        return config;
    }

    /** Whether this slice ends with the head, so its {@link #forward} output feeds {@link #head}. */
    public boolean isLast() {
        return lmHead != null;
    }

    /**
     * Runs the slice's layers on one step that its backend has begun ({@link Backend#beginStep}). The first slice
     * embeds the batch's tokens ({@code input} must be null); any other continues from the previous slice's
     * output, which it may overwrite. Returns the residual after the last layer and its norm by the next layer's
     * input norm (the final norm on the last slice).
     */
    public Activations forward(ForwardBatch batch, Activations input) {
        if ((embedTokens == null) != (input != null)) {
            throw new IllegalArgumentException(embedTokens == null
                    ? layers + " continues another stage: it needs that stage's activations"
                    : layers + " starts the model: it embeds the batch and takes no activations");
        }
        int numTokens = batch.numTokens();
        Tensor residual;
        Tensor normed;
        if (input == null) {
            residual = backend.allocate(numTokens, config.hiddenSize());
            normed = backend.allocate(numTokens, config.hiddenSize());
            backend.embed(embedTokens, batch, residual);
            backend.rmsNorm(residual, decoderLayers.get(0).inputNorm, (float) config.rmsNormEps(), normed);
        } else {
            residual = input.residual();
            normed = input.normed();
        }
        DecoderLayer.Scratch scratch = DecoderLayer.Scratch.allocate(backend, numTokens, config);
        for (int i = 0; i < decoderLayers.size(); i++) {
            Weight nextNorm = i + 1 < decoderLayers.size() ? decoderLayers.get(i + 1).inputNorm : boundaryNorm;
            decoderLayers.get(i).forward(backend, batch, rotary, residual, normed, nextNorm, scratch);
        }
        return new Activations(residual, normed);
    }

    /**
     * What the step's outputs are read from on the last slice: every token's hidden state after the final norm
     * and the lm_head (for scored rows), and the {@link #logits} of the rows that sample.
     */
    public StepHead head(ForwardBatch batch, Activations output) {
        return new StepHead(output.normed(), requireLmHead(), logits(batch, output));
    }

    /**
     * The head on the last slice's output: float32 logits of {@code batch.logitRows()}, {@code [logitRows.length,
     * vocab]}, left on the backend for sampling; null when no row needs logits.
     */
    public Tensor logits(ForwardBatch batch, Activations output) {
        Weight head = requireLmHead();
        if (batch.logitRows().length == 0) {
            return null;
        }
        Tensor selected = backend.gatherRows(output.normed(), batch.logitRows());
        Tensor logits = backend.allocate(selected.rows(), config.vocabSize());
        backend.linear(selected, head, null, logits);
        return logits;
    }

    private Weight requireLmHead() {
        if (lmHead == null) {
            throw new IllegalStateException(layers + " does not end the model: it has no lm_head");
        }
        return lmHead;
    }
}
