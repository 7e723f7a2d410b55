package dev.flood.model;

import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.RotaryTable;
import dev.flood.backend.ScoredRows;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.config.ModelConfig;
import dev.flood.sampling.RowLogprobs;
import dev.flood.weights.WeightSource;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoder-only language model on a backend: embedding, the shared decoder layers, final norm and lm_head.
 * {@link #forwardHidden} runs every token of a step; {@link #logits} and {@link #logprobs} then read only the
 * rows that need them.
 */
public final class CausalLM {

    private final ModelConfig config;
    private final Backend backend;
    private final RotaryTable rotary;
    private final Weight embedTokens;   // [vocab, hidden]
    private final List<DecoderLayer> layers;
    private final Weight finalNorm;     // [hidden]
    private final Weight lmHead;        // [vocab, hidden]; the embedding table itself when tied

    private CausalLM(ModelConfig config, Backend backend, RotaryTable rotary, Weight embedTokens,
                     List<DecoderLayer> layers, Weight finalNorm, Weight lmHead) {
        this.config = config;
        this.backend = backend;
        this.rotary = rotary;
        this.embedTokens = embedTokens;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
    }

    /** Loads the architecture named by {@code config} from {@code source} onto {@code backend}. */
    public static CausalLM load(ModelConfig config, WeightSource source, Backend backend) {
        Architecture architecture = ModelRegistry.architecture(config.architecture());
        DecoderOptions options = architecture.options(config);
        WeightNames names = architecture.weightNames();
        int hidden = config.hiddenSize();
        Weight embed = backend.loadMatrix(source, List.of(names.embedTokens()), List.of(config.vocabSize()), hidden);
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            layers.add(new DecoderLayer(i, config, options, names, source, backend));
        }
        Weight finalNorm = backend.loadVector(source, List.of(names.finalNorm()), List.of(hidden));
        Weight lmHead = config.tieWordEmbeddings() ? embed
                : backend.loadMatrix(source, List.of(names.lmHead()), List.of(config.vocabSize()), hidden);
        RotaryTable rotary = RotaryTable.of(config.rope(), config.headDim(), config.maxPositions(), config.storageDtype());
        return new CausalLM(config, backend, rotary, embed, List.copyOf(layers), finalNorm, lmHead);
    }

    /**
     * Runs one step. Returns the float32 logits of {@code batch.logitRows()}, {@code [logitRows.length, vocab]},
     * left on the backend; null when no row needs logits.
     */
    public Tensor forward(ForwardBatch batch) {
        return logits(forwardHidden(batch), batch);
    }

    /**
     * Runs every layer of one step and the final norm. Returns the hidden states of every token,
     * {@code [numTokens, hiddenSize]}, left on the backend for {@link #logits} and {@link #logprobs}.
     */
    public Tensor forwardHidden(ForwardBatch batch) {
        backend.beginStep(batch);
        int numTokens = batch.numTokens();
        Tensor residual = backend.allocate(numTokens, config.hiddenSize());
        Tensor normed = backend.allocate(numTokens, config.hiddenSize());
        DecoderLayer.Scratch scratch = DecoderLayer.Scratch.allocate(backend, numTokens, config);
        backend.embed(embedTokens, batch, residual);
        backend.rmsNorm(residual, layers.get(0).inputNorm, (float) config.rmsNormEps(), normed);
        for (int i = 0; i < layers.size(); i++) {
            Weight nextNorm = i + 1 < layers.size() ? layers.get(i + 1).inputNorm : finalNorm;
            layers.get(i).forward(backend, batch, rotary, residual, normed, nextNorm, scratch);
        }
        return normed;
    }

    /**
     * The float32 logits of {@code batch.logitRows()} (the rows generation samples from),
     * {@code [logitRows.length, vocab]}; null when there are none.
     */
    public Tensor logits(Tensor hidden, ForwardBatch batch) {
        if (batch.logitRows().length == 0) {
            return null;
        }
        Tensor selected = backend.gatherRows(hidden, batch.logitRows());
        Tensor logits = backend.allocate(selected.rows(), config.vocabSize());
        backend.linear(selected, lmHead, null, logits);
        return logits;
    }

    /**
     * Scoring: the log-probability of each row's target token (and its top tokens where asked), from the hidden
     * states of {@link #forwardHidden} through the lm_head, in bounded memory ({@link Backend#lmHeadLogprobs}).
     */
    public List<RowLogprobs> logprobs(Tensor hidden, ScoredRows rows) {
        return backend.lmHeadLogprobs(hidden, lmHead, rows);
    }

    public ModelConfig config() {
        return config;
    }
}
