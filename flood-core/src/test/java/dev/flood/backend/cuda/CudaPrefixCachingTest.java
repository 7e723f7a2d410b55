package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineConfig.CudaGraphs;
import dev.flood.api.EngineConfig.PrefixCaching;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.PrefixCacheStats;
import dev.flood.api.SamplingParams;
import dev.flood.config.ModelConfigReader;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Prefix caching on the CUDA engine: the same greedy tokens with it on as with it off, on every fixture model, for
 * prompts that share none of a prefix (the fixture prompts alone), part of one (the fixture prompts behind one
 * preamble, which ends inside a 16-token block), all of one (the preamble alone, which the others extend) and all
 * of a prompt (the first one twice); once cold (the first request computes the preamble, the others attach it)
 * and once more on the same engine from a warm cache (every request attaches all its prompt's full blocks and
 * computes only the rest). With CUDA graphs off (the default) and on, since a request that attaches all but one
 * token of its prompt joins a step that may be decode-only; with graphs on, also with one step in flight.
 *
 * <p>Tolerance: with caching on, a request reads the preamble's keys and values as another request's step computed
 * them (other rows in the batch, another chunking), so bf16 GEMMs may round them differently. Tokens must be equal
 * until a near-tie: where they first part, the top-2 log-probability gap with caching off must be under
 * {@link CudaEngineTest}'s near-tie bound; after that the contexts differ. A NaN in a request's logits fails it,
 * and the failure lists every request that parts (its round, the token, the gap) with the graphs setting: the
 * requests are checked in order, and one bad step parts all the requests it holds, so the first alone misleads.
 */
@Tag("gpu")
class CudaPrefixCachingTest {

    static final List<String> MODELS = Fixtures.MODELS;
    /** CUDA graphs refuse mixture-of-experts models (CudaGraphsEngineTest). */
    static final List<String> DENSE_MODELS = Fixtures.MODELS.stream()
            .filter(name -> ModelConfigReader.read(Fixtures.model(name)).moe() == null).toList();
    private static final double NEAR_TIE = 0.1;

    private static EngineConfig.Builder config(String name) {
        return EngineConfig.builder(Fixtures.model(name)).backend("cuda").maxBatchTokens(23);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void sameGreedyTokensWithPrefixCachingOnAndOff(String name) {
        sameTokensOnAndOff(name, CudaGraphs.OFF);
    }

    @ParameterizedTest
    @FieldSource("DENSE_MODELS")
    void sameGreedyTokensWithPrefixCachingOnAndOffWithCudaGraphs(String name) {
        sameTokensOnAndOff(name, CudaGraphs.ON, 0);
    }

    /**
     * As {@link #sameGreedyTokensWithPrefixCachingOnAndOffWithCudaGraphs} with one step in flight (no deferred
     * tokens, one step slot): whether graphs part from eager only when steps overlap tells a fault of steps in
     * flight (slots, deferred tokens, updating a graph whose earlier launch is queued) from one of graphs alone.
     */
    @ParameterizedTest
    @FieldSource("DENSE_MODELS")
    void sameGreedyTokensWithPrefixCachingOnAndOffWithCudaGraphsOneStepInFlight(String name) {
        sameTokensOnAndOff(name, CudaGraphs.ON, 1);
    }

    private static void sameTokensOnAndOff(String name, CudaGraphs graphs) {
        sameTokensOnAndOff(name, graphs, 0);
    }

    /** {@code stepsInFlight} 0 is the engine's default (2 on one GPU). */
    private static void sameTokensOnAndOff(String name, CudaGraphs graphs, int stepsInFlight) {
        SamplingParams greedy = SamplingParams.builder().maxNewTokens(24).ignoreEos().logprobs(2).build();
        List<String> prompts = prompts(name);
        List<GenerateRequest> requests = prompts.stream().map(p -> GenerateRequest.of(p, greedy)).toList();
        List<GenerationResult> off;
        try (FloodEngine engine = FloodEngine.open(config(name).cudaGraphs(graphs).stepsInFlight(stepsInFlight)
                .prefixCaching(PrefixCaching.OFF).build())) {
            off = engine.generate(requests);
        }
        String how = name + ", CUDA graphs " + graphs.name().toLowerCase(java.util.Locale.ROOT)
                + (stepsInFlight == 0 ? "" : ", " + stepsInFlight + " step(s) in flight");
        for (int i = 0; i < requests.size(); i++) {
            assertFalse(off.get(i).isError(), how + ", caching off, request " + i + ": " + off.get(i).error());
            assertEquals(24, off.get(i).tokenIds().size(), how + ", caching off, request " + i);
        }
        try (FloodEngine engine = FloodEngine.open(config(name).cudaGraphs(graphs).stepsInFlight(stepsInFlight)
                .build())) {
            List<GenerationResult> cold = engine.generate(requests);
            PrefixCacheStats afterCold = engine.metrics().prefixCache();
            List<GenerationResult> warm = engine.generate(requests);
            PrefixCacheStats afterWarm = engine.metrics().prefixCache();
            // every parting of both rounds, not only the first: which requests part, and at which tokens, tells
            // one bad step (all its requests at once) from one bad request
            List<String> partings = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                String request = how + ", request " + i + " (" + kind(prompts, i) + ")";
                String coldParting = CudaEngineTest.partingBeyondNearTie(off.get(i), cold.get(i), NEAR_TIE,
                        request + ", cold cache");
                String warmParting = CudaEngineTest.partingBeyondNearTie(off.get(i), warm.get(i), NEAR_TIE,
                        request + ", warm cache");
                if (coldParting != null) {
                    partings.add(coldParting);
                }
                if (warmParting != null) {
                    partings.add(warmParting);
                }
            }
            assertTrue(partings.isEmpty(), partings.size() + " parting(s):\n" + String.join("\n", partings));
            long coldHits = afterCold.hitTokens();
            long warmHits = afterWarm.hitTokens() - coldHits;
            System.out.printf("%s: %d prompt tokens read from the cache cold, %d warm, of %d per round%n", how,
                    coldHits, warmHits, afterCold.lookedUpTokens());
            int behindPreamble = (prompts.size() - 2) / 2;
            assertTrue(coldHits >= (long) behindPreamble * 16, how + ": every request behind the preamble but the"
                    + " first should read at least its first block, cold; read " + coldHits);
            assertTrue(warmHits > coldHits, how + ": a warm cache serves more than a cold one: " + warmHits + " vs "
                    + coldHits);
        }
    }

    /**
     * The fixture prompts behind the preamble (part of a prefix), the fixture prompts alone (none), the preamble
     * alone (all of a prefix the first ones extend) and the first prompt again (all of a prompt).
     */
    private static List<String> prompts(String name) {
        String preamble = EnginePrefixSteps.PREAMBLE;
        List<String> cases = Fixtures.cases(name).stream().map(Fixtures.Case::prompt).toList();
        List<String> prompts = new ArrayList<>();
        cases.forEach(c -> prompts.add(preamble + c));
        prompts.addAll(cases);
        prompts.add(preamble);
        prompts.add(preamble + cases.get(0));
        return prompts;
    }

    private static String kind(List<String> prompts, int i) {
        int cases = (prompts.size() - 2) / 2;
        return i < cases ? "behind the preamble" : i < 2 * cases ? "no shared prefix"
                : i == 2 * cases ? "the preamble alone" : "a repeated prompt";
    }
}
