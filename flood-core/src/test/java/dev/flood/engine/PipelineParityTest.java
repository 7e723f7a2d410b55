package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreOptions;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import dev.flood.api.StageMetrics;
import dev.flood.config.ModelConfigReader;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A pipeline of 2 or 3 stages, and one stage with steps in flight, compute exactly what one stage running one step
 * at a time does: the same tokens, log-probabilities and perplexities, to the bit (the CPU backend computes each
 * request the same whatever the batch, and activations cross stages unchanged). Greedy, seeded sampling, and
 * penalties (drawn on the host, never deferred), through chunked prefill; and scoring, in sliding windows too,
 * in the same steps as generations (draws from logits rows and scores from hidden-state rows, both the last
 * stage's outputs).
 */
class PipelineParityTest {

    /** Windows of 24 tokens every 10: the fixtures' prompts repeated five times take several. */
    private static final ScoreOptions WINDOWS = ScoreOptions.DEFAULTS.withMaxLength(24).withStride(10);

    static Stream<Arguments> pipelines() {
        List<Arguments> cases = new ArrayList<>();
        for (String model : Fixtures.MODELS) {
            cases.add(Arguments.of(model, "one stage, 2 steps in flight", 1, 0));
            cases.add(Arguments.of(model, "one stage, 3 steps in flight", 1, 3));
            cases.add(Arguments.of(model, "2 stages", 2, 0));
            if (ModelConfigReader.read(Fixtures.model(model)).numLayers() >= 3) {   // a stage holds a layer at least
                cases.add(Arguments.of(model, "3 stages", 3, 0));
            }
        }
        return cases.stream();
    }

    private static EngineConfig.Builder config(String model) {
        return EngineConfig.builder(Fixtures.model(model)).threads(2).maxBatchTokens(9);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("pipelines")
    void sameTokensLogprobsAndPerplexitiesAsOneStepAtATime(String model, String what, int stages, int inFlight) {
        List<Fixtures.Case> cases = Fixtures.cases(model);
        List<String> prompts = cases.stream().map(Fixtures.Case::prompt).toList();
        List<GenerateRequest> requests = requests(prompts);
        List<GenerationResult> expected;
        List<ScoreResult> expectedScores;
        try (FloodEngine engine = FloodEngine.open(config(model).stepsInFlight(1).build())) {
            expected = engine.generate(requests);
            expectedScores = engine.score(prompts);
        }
        try (FloodEngine engine = FloodEngine.open(config(model).stages(stages).stepsInFlight(inFlight).build())) {
            List<GenerationResult> actual = engine.generate(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertFalse(actual.get(i).isError(), what + " request " + i + ": " + actual.get(i).error());
                assertEquals(expected.get(i), actual.get(i), what + ": request " + i);
            }
            List<ScoreResult> scores = engine.score(prompts);
            for (int i = 0; i < prompts.size(); i++) {
                assertEquals(expectedScores.get(i), scores.get(i), what + ": score of '" + prompts.get(i) + "'");
            }
            List<StageMetrics> metrics = engine.metrics().stages();
            assertEquals(stages, metrics.size());
            assertEquals(0, metrics.get(0).firstLayer());
            assertEquals(engine.modelConfig().numLayers(), metrics.get(stages - 1).endLayer());
            for (StageMetrics stage : metrics) {
                assertTrue(stage.steps() > 0 && stage.busySeconds() > 0 && stage.idleSeconds() >= 0, stage.toString());
            }
            assertEquals(0, engine.metrics().cache().usedTokens(), "cache freed at the end");
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("pipelines")
    void windowedScoresBesideGenerationsAsOneStepAtATime(String model, String what, int stages, int inFlight) {
        List<String> prompts = Fixtures.cases(model).stream().map(Fixtures.Case::prompt).toList();
        List<ScoreRequest> texts = new ArrayList<>();
        for (String prompt : prompts) {
            texts.add(ScoreRequest.of(prompt.repeat(5), WINDOWS));
            texts.add(ScoreRequest.of(prompt));
        }
        Mixed expected = mixed(config(model).stepsInFlight(1).build(), requests(prompts), texts);
        Mixed actual = mixed(config(model).stages(stages).stepsInFlight(inFlight).build(), requests(prompts), texts);
        int windowed = 0;
        for (int i = 0; i < texts.size(); i++) {
            ScoreResult score = actual.scores().get(i);
            assertFalse(score.isError(), what + " text " + i + ": " + score.error());
            assertEquals(expected.scores().get(i), score, what + ": score of text " + i);
            windowed += score.windows() > 1 ? 1 : 0;
        }
        assertTrue(windowed >= prompts.size() / 2, what + ": only " + windowed + " texts took several windows");
        assertEquals(expected.generations(), actual.generations(), what + ": generations beside the scores");
    }

    private record Mixed(List<GenerationResult> generations, List<ScoreResult> scores) {
    }

    /** Generations and texts to score submitted in turn, so that steps carry both. */
    private static Mixed mixed(EngineConfig config, List<GenerateRequest> requests, List<ScoreRequest> texts) {
        try (FloodEngine engine = FloodEngine.open(config)) {
            List<CompletableFuture<GenerationResult>> generations = new ArrayList<>();
            List<CompletableFuture<ScoreResult>> scores = new ArrayList<>();
            for (int i = 0; i < Math.max(requests.size(), texts.size()); i++) {
                if (i < requests.size()) {
                    generations.add(engine.submit(requests.get(i), GenerationListener.NONE));
                }
                if (i < texts.size()) {
                    scores.add(engine.submitScore(texts.get(i)));
                }
            }
            return new Mixed(generations.stream().map(CompletableFuture::join).toList(),
                    scores.stream().map(CompletableFuture::join).toList());
        }
    }

    /** Each prompt greedy, seeded, and with a repetition penalty, all with log-probabilities. */
    private static List<GenerateRequest> requests(List<String> prompts) {
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            requests.add(GenerateRequest.of(prompts.get(i),
                    SamplingParams.builder().maxNewTokens(24).ignoreEos().logprobs(3).build()));
            requests.add(GenerateRequest.of(prompts.get(i), SamplingParams.builder().maxNewTokens(20).ignoreEos()
                    .temperature(0.9).topP(0.95).topK(40).seed(1000 + i).logprobs(2).build()));
            requests.add(GenerateRequest.of(prompts.get(i), SamplingParams.builder().maxNewTokens(12).ignoreEos()
                    .temperature(0.8).repetitionPenalty(1.3).presencePenalty(0.2).seed(2000 + i).logprobs(1).build()));
        }
        return requests;
    }
}
