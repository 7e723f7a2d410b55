package dev.flood.engine.pipeline;

import dev.flood.api.EngineConfig;
import dev.flood.backend.Backend;
import dev.flood.backend.StepLimits;
import dev.flood.config.ModelConfig;
import dev.flood.model.LayerRange;
import dev.flood.model.ModelSlice;
import dev.flood.weights.WeightSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sets a pipeline up: splits the layers ({@link LayerSplit}), opens one backend per stage and loads its slice,
 * resolves the automatic step limits ({@link StepLimits#resolve}), prepares each backend's steps in flight, then sizes one KV cache that every stage can hold and allocates each
 * stage's part of it (its own layers, the same slots).
 *
 * <p>Cache size when the config leaves it open: stages that share memory (CUDA stages on one GPU; every CPU stage,
 * sharing the heap) are sized together for all their layers; the cache is the smallest size any such group holds.
 */
final class PipelineLoader {

    /** A stage's backend and model slice, before its worker starts. */
    record LoadedStage(Backend backend, ModelSlice slice, String device) {
    }

    private PipelineLoader() {
    }

    static <P extends MicroBatch> Pipeline<P> open(EngineConfig config, ModelConfig model, WeightSource weights,
                                                   BackendFactory backends) {
        List<LayerRange> split = LayerSplit.of(config, model);
        List<Backend> opened = new ArrayList<>();
        List<LoadedStage> stages = new ArrayList<>();
        try {
            for (int k = 0; k < split.size(); k++) {
                Backend backend = backends.open(config, k);
                opened.add(backend);
                stages.add(new LoadedStage(backend, ModelSlice.load(model, weights, backend, split.get(k)),
                        device(config, k)));
            }
            EngineConfig resolved = StepLimits.resolve(config, model, opened);
            for (LoadedStage stage : stages) {
                stage.backend().prepareSteps(model, resolved);
            }
            int cacheTokens = resolved.cacheTokens() > 0 ? resolved.cacheTokens()
                    : suggestCacheTokens(stages, model, resolved);
            for (LoadedStage stage : stages) {
                stage.backend().allocateCache(stage.slice().layers().numLayers(), cacheTokens, model.kvSize());
            }
            return new Pipeline<>(stages, resolved, cacheTokens);
        } catch (RuntimeException e) {
            for (Backend backend : opened) {
                try {
                    backend.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** Where stage {@code stage} runs: stages with the same label share memory. */
    private static String device(EngineConfig config, int stage) {
        return config.backend().equals("cuda") ? "cuda:" + config.devices().get(stage) : "cpu";
    }

    /** The least of what each group of stages sharing memory can hold for all of its layers. */
    private static int suggestCacheTokens(List<LoadedStage> stages, ModelConfig model, EngineConfig config) {
        Map<String, List<LoadedStage>> groups = new LinkedHashMap<>();
        for (LoadedStage stage : stages) {
            groups.computeIfAbsent(stage.device(), d -> new ArrayList<>()).add(stage);
        }
        int tokens = Integer.MAX_VALUE;
        for (List<LoadedStage> group : groups.values()) {
            int layers = group.stream().mapToInt(s -> s.slice().layers().numLayers()).sum();
            tokens = Math.min(tokens, group.get(0).backend().suggestCacheTokens(layers, model, config));
        }
        return tokens;
    }
}
