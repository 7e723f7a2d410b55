package dev.flood.engine;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodException;
import dev.flood.cache.SegmentAllocator;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.engine.pipeline.BackendFactory;
import dev.flood.engine.pipeline.Pipeline;
import dev.flood.model.ModelRegistry;
import dev.flood.structured.ConstraintCompiler;
import dev.flood.tokenizer.Tokenizer;
import dev.flood.weights.DummyWeights;
import dev.flood.weights.QuantizedCheckpoint;
import dev.flood.weights.WeightSource;
import java.nio.file.Files;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A model ready to serve: config, tokenizer, the pipeline of stages holding the weights and KV cache, the one
 * segment allocator whose slots are valid on every stage, and what turns requests into prompts and constraints
 * (the chat template, the response-format compiler). After a fault the engine {@link #reopen}s the pipeline:
 * the same model, tokenizer, template and compiler on new backends.
 */
record LoadedModel(ModelConfig config, Tokenizer tokenizer, Pipeline<StepPlan> pipeline, SegmentAllocator allocator,
                   EngineContext context, LazyChatTemplate chatTemplate, ConstraintCompiler constraints)
        implements AutoCloseable {

    /** The configuration the model was loaded with, its automatic step limits resolved. */
    EngineConfig engineConfig() {
        return pipeline.config();
    }

    /** Most extents one request's cache may be split into. */
    static final int MAX_EXTENTS_PER_REQUEST = 8;

    static LoadedModel load(EngineConfig config, BackendFactory backends) {
        ModelConfig modelConfig = ModelConfigReader.read(config.modelPath());
        ModelRegistry.requireSupported(modelConfig, config.modelPath().resolve("config.json").toString());
        Tokenizer tokenizer = null;
        if (Files.exists(config.modelPath().resolve("tokenizer.json"))) {
            tokenizer = Tokenizer.load(config.modelPath());
        } else if (config.loadFormat() != EngineConfig.LoadFormat.DUMMY) {
            throw new FloodException("no tokenizer.json in " + config.modelPath());
        }
        try {
            Set<Integer> eos = new LinkedHashSet<>(modelConfig.eosTokenIds());
            EngineContext context = new EngineContext(tokenizer, modelConfig.vocabSize(),
                    modelConfig.maxPositions(), Set.copyOf(eos));
            return open(config, modelConfig, tokenizer, context, new LazyChatTemplate(config.modelPath()),
                    new ConstraintCompiler(tokenizer, modelConfig.vocabSize(), context.eosTokenIds(),
                            ConstraintCompiler.Limits.DEFAULT), backends);
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            throw e;
        }
    }

    /**
     * The same model and tokenizer on a new pipeline opened with {@code engineConfig}, weights read again. This
     * one's pipeline must be closed first; its tokenizer passes to the new one.
     */
    LoadedModel reopen(EngineConfig engineConfig, BackendFactory backends) {
        return open(engineConfig, config, tokenizer, context, chatTemplate, constraints, backends);
    }

    private static LoadedModel open(EngineConfig config, ModelConfig modelConfig, Tokenizer tokenizer,
                                    EngineContext context, LazyChatTemplate chatTemplate,
                                    ConstraintCompiler constraints, BackendFactory backends) {
        Pipeline<StepPlan> pipeline;
        try (WeightSource weights = config.loadFormat() == EngineConfig.LoadFormat.DUMMY
                ? new DummyWeights(modelConfig, config.seed())
                : QuantizedCheckpoint.open(config.modelPath())) {
            pipeline = Pipeline.open(config, modelConfig, weights, backends);
        }
        try {
            return new LoadedModel(modelConfig, tokenizer, pipeline,
                    new SegmentAllocator(pipeline.cacheTokens(), MAX_EXTENTS_PER_REQUEST), context, chatTemplate,
                    constraints);
        } catch (RuntimeException e) {
            pipeline.close();
            throw e;
        }
    }

    Tokenizer requireTokenizer() {
        if (tokenizer == null) {
            throw new FloodException("this model folder has no tokenizer.json; give prompts as token ids");
        }
        return tokenizer;
    }

    @Override
    public void close() {
        try {
            chatTemplate.close();
            pipeline.close();
        } finally {
            if (tokenizer != null) {
                tokenizer.close();
            }
        }
    }
}
