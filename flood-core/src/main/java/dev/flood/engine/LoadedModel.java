package dev.flood.engine;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodException;
import dev.flood.cache.SegmentAllocator;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
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
 * (the chat template, the response-format compiler).
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

    static LoadedModel load(EngineConfig config) {
        ModelConfig modelConfig = ModelConfigReader.read(config.modelPath());
        ModelRegistry.requireSupported(modelConfig, config.modelPath().resolve("config.json").toString());
        Tokenizer tokenizer = null;
        if (Files.exists(config.modelPath().resolve("tokenizer.json"))) {
            tokenizer = Tokenizer.load(config.modelPath());
        } else if (config.loadFormat() != EngineConfig.LoadFormat.DUMMY) {
            throw new FloodException("no tokenizer.json in " + config.modelPath());
        }
        try {
            Pipeline<StepPlan> pipeline;
            try (WeightSource weights = config.loadFormat() == EngineConfig.LoadFormat.DUMMY
                    ? new DummyWeights(modelConfig, config.seed())
                    : QuantizedCheckpoint.open(config.modelPath())) {
                pipeline = Pipeline.open(config, modelConfig, weights);
            }
            Set<Integer> eos = new LinkedHashSet<>(modelConfig.eosTokenIds());
            EngineContext context = new EngineContext(tokenizer, modelConfig.vocabSize(),
                    modelConfig.maxPositions(), Set.copyOf(eos));
            try {
                return new LoadedModel(modelConfig, tokenizer, pipeline,
                        new SegmentAllocator(pipeline.cacheTokens(), MAX_EXTENTS_PER_REQUEST), context,
                        new LazyChatTemplate(config.modelPath()), new ConstraintCompiler(tokenizer,
                                modelConfig.vocabSize(), context.eosTokenIds(), ConstraintCompiler.Limits.DEFAULT));
            } catch (RuntimeException e) {
                pipeline.close();
                throw e;
            }
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
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
