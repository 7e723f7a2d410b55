package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.FinishReason;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreResult;
import dev.flood.testing.Fixtures;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The whole engine (tokenizer, chunked prefill, segment cache, decode) against Hugging Face transformers on the
 * reference checkpoints. A small step budget forces prompts through several prefill chunks. Tolerance for log
 * probabilities and perplexity: 1e-4 relative, as for the logits (float32 on both sides, different summation
 * order); greedy tokens must be identical.
 */
class EngineParityTest {

    static final List<String> MODELS = Fixtures.MODELS;

    private static FloodEngine open(String name) {
        return FloodEngine.open(EngineConfig.builder(Fixtures.model(name)).threads(2).maxBatchTokens(7).build());
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void promptLogprobsAndPerplexityMatchTransformers(String name) {
        List<Fixtures.Case> cases = Fixtures.cases(name);
        try (FloodEngine engine = open(name)) {
            List<ScoreResult> results = engine.score(cases.stream().map(Fixtures.Case::prompt).toList());
            for (int i = 0; i < cases.size(); i++) {
                Fixtures.Case c = cases.get(i);
                ScoreResult r = results.get(i);
                assertArrayEquals(c.inputIds(), r.tokenIds().stream().mapToInt(Integer::intValue).toArray(), c.prompt());
                double[] logprobs = r.tokenLogprobs().stream().mapToDouble(Double::doubleValue).toArray();
                double error = Fixtures.relativeError(logprobs, c.tokenLogprobs());
                assertTrue(error < 1e-4, name + " '" + c.prompt() + "': logprob relative error " + error);
                assertEquals(c.perplexity(), r.perplexity(), 1e-4 * c.perplexity(), name + " perplexity");
                assertEquals(c.meanNll(), r.meanNll(), 1e-4 * c.meanNll(), name + " mean NLL");
            }
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void greedyDecodingReproducesTransformers(String name) {
        List<Fixtures.Case> cases = Fixtures.cases(name);
        SamplingParams greedy = SamplingParams.builder().maxNewTokens(24).ignoreEos().build();
        try (FloodEngine engine = open(name)) {
            List<GenerationResult> results = engine.generate(
                    cases.stream().map(c -> GenerateRequest.of(c.prompt(), greedy)).toList());
            for (int i = 0; i < cases.size(); i++) {
                GenerationResult r = results.get(i);
                assertArrayEquals(cases.get(i).greedy24(), r.tokenIds().stream().mapToInt(Integer::intValue).toArray(),
                        name + " '" + cases.get(i).prompt() + "'");
                assertEquals(cases.get(i).greedyText(), r.text());
                assertEquals(FinishReason.LENGTH, r.finishReason());
                assertEquals(cases.get(i).inputIds().length, r.promptTokens());
                assertEquals(24, r.completionTokens());
            }
        }
    }
}
