package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.GenerateRequest;
import dev.flood.api.SamplingParams;
import dev.flood.backend.ForwardBatch;
import dev.flood.engine.LineageRuns;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;

/**
 * The steps a CPU engine with prefix caching runs for CudaPrefixCachingTest's requests (the fixture prompts behind
 * one preamble, steps of 23 tokens): once cold, where the first request computes the preamble and the others
 * attach its blocks, and once from a warm cache, where every request attaches all its prompt's full blocks and
 * computes only the rest. Recorded once per test JVM, with {@link LineageRuns}' checks of what each step reads.
 */
final class EnginePrefixSteps {

    static final String PREAMBLE = "You are a careful assistant. Answer in one short sentence, in plain words, and"
            + " never repeat the question. The archive keeps letters, maps and ledgers from the river towns. ";
    /** Cache slots of the recorded engine: every recorded slot is below it. */
    static final int CACHE_TOKENS = 4096;

    private static LineageRuns.Run run;
    private static List<Long> hitTokensPerRound;

    private EnginePrefixSteps() {
    }

    /** The recorded run (its violations and its steps' batches, in order). */
    static synchronized LineageRuns.Run run() {
        if (run == null) {
            SamplingParams greedy = SamplingParams.builder().maxNewTokens(8).ignoreEos().build();
            List<GenerateRequest> requests = Fixtures.cases("tiny-llama").stream()
                    .map(c -> GenerateRequest.of(PREAMBLE + c.prompt(), greedy)).toList();
            EngineConfig config = EngineConfig.builder(Fixtures.model("tiny-llama")).threads(2).maxBatchTokens(23)
                    .cacheTokens(CACHE_TOKENS).build();
            List<Long> hits = new ArrayList<>();
            run = LineageRuns.run(config, engine -> {
                for (int round = 0; round < 2; round++) {
                    engine.generate(requests).forEach(r -> assertTrue(!r.isError(), r.error()));
                    hits.add(engine.metrics().prefixCache().hitTokens());
                }
            });
            hitTokensPerRound = List.of(hits.get(0), hits.get(1) - hits.get(0));
        }
        return run;
    }

    /** Prompt tokens read from the cache in the cold round, then in the warm one. */
    static synchronized List<Long> hitTokensPerRound() {
        run();
        return hitTokensPerRound;
    }

    /** {@code batch} with token ids 0 .. n-1 and none deferred, for tests that embed rows of a table as activations. */
    static ForwardBatch withRowIds(ForwardBatch batch) {
        int[] ids = java.util.stream.IntStream.range(0, batch.numTokens()).toArray();
        return new ForwardBatch(ids, batch.positions(), batch.slotMapping(), batch.cuSeqlensQ(), batch.contextLens(),
                batch.cuExtents(), batch.extentStarts(), batch.extentLengths(), new int[0]);
    }
}
