package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.FinishReason;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.OptionScores;
import dev.flood.api.SamplingParams;
import dev.flood.api.TokenLogprobs;
import dev.flood.api.TopLogprob;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Streaming, stop conditions, logprobs, option scoring and metrics, on tiny-llama and its reference outputs. */
class EngineFeaturesTest {

    private static FloodEngine engine;
    private static Fixtures.Case reference;

    @BeforeAll
    static void open() {
        engine = FloodEngine.open(EngineConfig.builder(Fixtures.model("tiny-llama")).threads(2).build());
        // "The quick brown fox...": greedy continues 'porporporpor writ using c writ using...', ids 897 x4, 761, ...
        reference = Fixtures.cases("tiny-llama").get(0);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void streamedDeltasAddUpToTheFinalText() {
        StringBuilder streamed = new StringBuilder();
        List<Integer> streamedIds = new ArrayList<>();
        AtomicInteger completions = new AtomicInteger();
        GenerationListener listener = new GenerationListener() {
            @Override
            public void onTokens(String textDelta, List<Integer> newTokenIds) {
                streamed.append(textDelta);
                streamedIds.addAll(newTokenIds);
            }

            @Override
            public void onComplete(GenerationResult result) {
                completions.incrementAndGet();
            }
        };
        GenerationResult result = engine.submit(GenerateRequest.of(reference.prompt(),
                SamplingParams.builder().maxNewTokens(24).ignoreEos().build()), listener).join();
        assertEquals(reference.greedyText(), result.text());
        assertEquals(result.text(), streamed.toString());
        assertEquals(result.tokenIds(), streamedIds);
        assertEquals(1, completions.get());
    }

    @Test
    void stopStringCutsTheTextBeforeIt() {
        GenerationResult result = generate(SamplingParams.builder().maxNewTokens(24).stopStrings(List.of(" writ")).build());
        assertEquals(FinishReason.STOP, result.finishReason());
        assertEquals(reference.greedyText().substring(0, reference.greedyText().indexOf(" writ")), result.text());
    }

    @Test
    void stopTokenEndsGenerationAndIsKeptInTheIds() {
        GenerationResult result = generate(SamplingParams.builder().maxNewTokens(24).stopTokenIds(List.of(761)).build());
        assertEquals(FinishReason.STOP, result.finishReason());
        assertEquals(List.of(897, 897, 897, 897, 761), result.tokenIds());
    }

    @Test
    void maxTokensEndsWithLength() {
        GenerationResult result = generate(SamplingParams.builder().maxNewTokens(3).build());
        assertEquals(FinishReason.LENGTH, result.finishReason());
        assertEquals(3, result.completionTokens());
    }

    @Test
    void logprobsListTheGreedyTokenFirst() {
        GenerationResult result = generate(SamplingParams.builder().maxNewTokens(6).logprobs(5).build());
        assertEquals(6, result.logprobs().size());
        for (int i = 0; i < 6; i++) {
            TokenLogprobs step = result.logprobs().get(i);
            assertEquals(result.tokenIds().get(i).intValue(), step.tokenId());
            assertEquals(5, step.top().size());
            assertEquals(step.tokenId(), step.top().get(0).tokenId(), "greedy picks the most likely token");
            assertEquals(step.logprob(), step.top().get(0).logprob(), 0.0);
            for (int k = 1; k < 5; k++) {
                assertTrue(step.top().get(k).logprob() <= step.top().get(k - 1).logprob());
            }
            assertTrue(step.logprob() < 0);
        }
    }

    @Test
    void optionScoresAgreeWithNextTokenLogprobs() {
        // single-token options: their log-likelihood is the next-token logprob that generation reports
        GenerationResult first = generate(SamplingParams.builder().maxNewTokens(1).logprobs(20).build());
        List<TopLogprob> candidates = new ArrayList<>();
        for (TopLogprob top : first.logprobs().get(0).top()) {
            if (top.token() != null && engine.tokenizer().encodeWithoutSpecialTokens(top.token()).length == 1
                    && engine.tokenizer().encodeWithoutSpecialTokens(top.token())[0] == top.tokenId()) {
                candidates.add(top);
            }
        }
        assertTrue(candidates.size() >= 2, "need two single-token candidates, got " + candidates);
        OptionScores scores = engine.submitOptions(reference.prompt(),
                candidates.stream().map(TopLogprob::token).toList()).join();
        assertFalse(scores.isError(), scores.error());
        // both sides are float32 forward passes of the same tokens with different batch shapes: 1e-5 absolute
        for (int i = 0; i < candidates.size(); i++) {
            assertEquals(candidates.get(i).logprob(), scores.logLikelihoods().get(i), 1e-5, "option " + i);
            assertEquals(1, scores.optionTokens().get(i));
        }
        assertEquals(0, scores.best());
        assertTrue(engine.submitOptions(reference.prompt(), List.of("a", "")).join().error().contains("option 1 has no tokens"));
    }

    @Test
    void metricsCountWhatRan() {
        long before = engine.metrics().generatedTokens();
        generate(SamplingParams.builder().maxNewTokens(5).ignoreEos().build());
        assertTrue(engine.metrics().generatedTokens() >= before + 5);
        assertTrue(engine.metrics().steps() > 0);
        assertTrue(engine.metrics().promptTokens() > 0);
        assertEquals(0, engine.metrics().cache().usedTokens());
    }

    private static GenerationResult generate(SamplingParams params) {
        GenerationResult result = engine.generate(List.of(GenerateRequest.of(reference.prompt(), params))).get(0);
        assertFalse(result.isError(), result.error());
        return result;
    }
}
