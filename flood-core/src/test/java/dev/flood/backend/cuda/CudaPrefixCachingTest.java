package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.testing.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Prefix caching on the CUDA engine: requests behind one shared preamble give the same greedy tokens with it on
 * as with it off, on every fixture model, while the preamble is read from the cache.
 *
 * <p>Tolerance: with caching on, a request reads the preamble's keys and values as another request's step computed
 * them (other rows in the batch, another chunking), so bf16 GEMMs may round them differently. Tokens must be equal
 * until a near-tie: where they first part, the top-2 log-probability gap with caching off must be under
 * {@link CudaEngineTest}'s near-tie bound; after that the contexts differ.
 */
@Tag("gpu")
class CudaPrefixCachingTest {

    static final List<String> MODELS = Fixtures.MODELS;
    private static final double NEAR_TIE = 0.1;
    private static final String PREAMBLE = "You are a careful assistant. Answer in one short sentence, in plain words,"
            + " and never repeat the question. The archive keeps letters, maps and ledgers from the river towns. ";

    private static EngineConfig.Builder config(String name) {
        return EngineConfig.builder(Fixtures.model(name)).backend("cuda").maxBatchTokens(23);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void sameGreedyTokensWithPrefixCachingOnAndOff(String name) {
        SamplingParams greedy = SamplingParams.builder().maxNewTokens(24).ignoreEos().logprobs(2).build();
        List<GenerateRequest> requests = Fixtures.cases(name).stream()
                .map(c -> GenerateRequest.of(PREAMBLE + c.prompt(), greedy)).toList();
        List<GenerationResult> off;
        try (FloodEngine engine = FloodEngine.open(config(name).prefixCaching(EngineConfig.PrefixCaching.OFF).build())) {
            off = engine.generate(requests);
        }
        try (FloodEngine engine = FloodEngine.open(config(name).build())) {
            List<GenerationResult> on = engine.generate(requests);
            List<GenerationResult> warm = engine.generate(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertEquals(24, off.get(i).tokenIds().size(), name + " case " + i);
                CudaEngineTest.assertSameUntilNearTie(off.get(i), on.get(i), NEAR_TIE, name + " case " + i);
                CudaEngineTest.assertSameUntilNearTie(off.get(i), warm.get(i), NEAR_TIE, name + " case " + i
                        + " from a warm cache");
            }
            EngineMetrics metrics = engine.metrics();
            System.out.printf("%s: %d of %d prompt tokens read from the cache%n", name,
                    metrics.prefixCache().hitTokens(), metrics.prefixCache().lookedUpTokens());
            assertTrue(metrics.prefixCache().hitTokens() >= (long) (2 * requests.size() - 1) * 16,
                    name + ": every request but the first should read at least the preamble's first block");
        }
    }
}
