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
import dev.flood.api.ResponseFormat;
import dev.flood.api.SamplingParams;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Requests that finish (stop token, stop string, EOS, length), fail or are closed while a later step in flight
 * holds their rows lose nothing and corrupt no other request: every result equals what an engine running one step
 * at a time gives. On tiny-llama, whose greedy continuation of the first reference prompt is 897 x4, 761, ...
 */
class InFlightTest {

    /** Stages of the engines under test; steps in flight: stages + 1. */
    static final List<Integer> STAGES = List.of(1, 2, 3);

    private static final String PROMPT = Fixtures.cases("tiny-llama").get(0).prompt();

    private static EngineConfig.Builder config() {
        return EngineConfig.builder(Fixtures.model("tiny-llama")).threads(2).maxBatchTokens(16);
    }

    @Test
    void aRequestStoppedAtItsFirstTokenHadItsNextRowInFlight() {
        GenerateRequest stopsAtOnce = GenerateRequest.of(PROMPT, SamplingParams.builder().maxNewTokens(10)
                .stopTokenIds(List.of(897)).build());
        GenerateRequest threeTokens = GenerateRequest.of(PROMPT, SamplingParams.builder().maxNewTokens(3).ignoreEos().build());
        for (int inFlight : new int[] {1, 2}) {
            // a step budget that takes the prompt in one chunk
            try (FloodEngine engine = FloodEngine.open(config().maxBatchTokens(256).stepsInFlight(inFlight).build())) {
                GenerationResult stopped = engine.generate(List.of(stopsAtOnce)).get(0);
                assertEquals(List.of(897), stopped.tokenIds());
                assertEquals(FinishReason.STOP, stopped.finishReason());
                GenerationResult next = engine.generate(List.of(threeTokens)).get(0);
                assertEquals(List.of(897, 897, 897), next.tokenIds());
                // one step at a time: 1 step, then 3 (prefill, two decodes). In flight: the stopped request's
                // second step was launched with its deferred token before the first was collected, then discarded.
                assertEquals(inFlight == 1 ? 4 : 5, engine.metrics().steps(), inFlight + " in flight");
                assertEquals(0, engine.metrics().cache().usedTokens());
                assertEquals(0, engine.metrics().failedRequests());
            }
        }
    }

    @ParameterizedTest(name = "{0} stage(s)")
    @FieldSource("STAGES")
    void requestsThatStopEarlyLeaveTheOthersAsTheyWere(int stages) {
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            requests.add(GenerateRequest.of(PROMPT, SamplingParams.builder().maxNewTokens(30).ignoreEos().build()));
            requests.add(GenerateRequest.of(PROMPT, SamplingParams.builder().maxNewTokens(30)
                    .stopTokenIds(List.of(761)).build()));
            requests.add(GenerateRequest.of(PROMPT, SamplingParams.builder().maxNewTokens(30)
                    .stopStrings(List.of(" writ")).build()));
            requests.add(GenerateRequest.of(PROMPT, SamplingParams.builder().maxNewTokens(30).temperature(1.2)
                    .seed(7 + i).build()));   // may draw EOS early
            requests.add(GenerateRequest.of("Once upon a time", SamplingParams.builder().maxNewTokens(1 + i)
                    .ignoreEos().logprobs(2).build()));
        }
        List<GenerationResult> expected = oneStepAtATime(requests);
        try (FloodEngine engine = FloodEngine.open(config().stages(stages).build())) {
            List<GenerationResult> actual = engine.generate(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertFalse(actual.get(i).isError(), "request " + i + ": " + actual.get(i).error());
                assertEquals(expected.get(i), actual.get(i), "request " + i);
            }
            assertEquals(0, engine.metrics().cache().usedTokens());
        }
    }

    /**
     * A masked request's next mask follows from its previous token, so it never feeds a deferred token: with steps
     * in flight its results (tokens, text, finish, error) equal one step at a time's, beside unmasked requests
     * that do defer, and every finished output is a value of its format.
     */
    @ParameterizedTest(name = "{0} stage(s)")
    @FieldSource("STAGES")
    void constrainedRequestsGiveWhatOneStepAtATimeGives(int stages) {
        List<String> choices = List.of("yes", "no", "maybe not");
        ResponseFormat regex = ResponseFormat.regex("[a-z]{2,5}( [0-9]{1,3}){1,3}");
        ResponseFormat json = ResponseFormat.jsonSchema("{\"type\": \"object\", \"properties\": {\"n\": "
                + "{\"type\": \"integer\"}, \"ok\": {\"type\": \"boolean\"}}, \"required\": [\"n\", \"ok\"]}");
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            SamplingParams params = SamplingParams.builder().maxNewTokens(24).temperature(1.0).seed(i).build();
            requests.add(GenerateRequest.of(PROMPT, params).withResponseFormat(ResponseFormat.choice(choices)));
            requests.add(GenerateRequest.of(PROMPT, params).withResponseFormat(regex));
            requests.add(GenerateRequest.of(PROMPT, params).withResponseFormat(json));
            requests.add(GenerateRequest.of(PROMPT, params));
        }
        List<GenerationResult> expected = oneStepAtATime(requests);
        try (FloodEngine engine = FloodEngine.open(config().stages(stages).build())) {
            assertTrue(engine.config().maxStepsInFlight() > 1, "steps in flight: " + engine.config().maxStepsInFlight());
            List<GenerationResult> actual = engine.generate(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertEquals(expected.get(i), actual.get(i), "request " + i);
            }
            for (int i = 0; i < requests.size(); i += 4) {
                String where = "request " + i + ": " + actual.get(i);
                assertTrue(choices.contains(actual.get(i).text()), where);
                if (actual.get(i + 1).error() == null) {
                    assertTrue(actual.get(i + 1).text().matches("[a-z]{2,5}( [0-9]{1,3}){1,3}"), where);
                }
                if (actual.get(i + 2).error() == null) {
                    assertTrue(actual.get(i + 2).text().matches("\\{\"n\":-?[0-9]+,\"ok\":(true|false)}"),
                            "request " + (i + 2) + ": " + actual.get(i + 2));
                }
            }
            assertEquals(0, engine.metrics().cache().usedTokens());
        }
    }

    @ParameterizedTest(name = "{0} stage(s)")
    @FieldSource("STAGES")
    void aRequestThatFailsInFlightFailsAlone(int stages) {
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            requests.add(GenerateRequest.of(PROMPT, SamplingParams.builder().maxNewTokens(12).ignoreEos()
                    .temperature(0.9).seed(i).build()));
        }
        List<GenerationResult> expected = oneStepAtATime(requests);
        try (FloodEngine engine = FloodEngine.open(config().stages(stages).build())) {
            // request 2's listener throws at its third token: post-processing fails it there, with its next
            // token's row already in a step in flight
            AtomicInteger calls = new AtomicInteger();
            GenerationListener throwing = new GenerationListener() {
                @Override
                public void onTokens(String textDelta, List<Integer> newTokenIds) {
                    if (calls.incrementAndGet() == 3) {
                        throw new IllegalStateException("listener broke");
                    }
                }
            };
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                futures.add(engine.submit(requests.get(i), i == 2 ? throwing : GenerationListener.NONE));
            }
            for (int i = 0; i < requests.size(); i++) {
                GenerationResult result = futures.get(i).join();
                if (i == 2) {
                    assertTrue(result.isError(), result.toString());
                    assertEquals("post-processing failed: java.lang.IllegalStateException: listener broke",
                            result.error());
                } else {
                    assertEquals(expected.get(i), result, "request " + i);
                }
            }
            assertEquals(1, engine.metrics().failedRequests());
            assertEquals(0, engine.metrics().cache().usedTokens());
        }
    }

    /**
     * Closed while steps are in flight: those steps are collected (requests they finish complete), the rest fail
     * with a message; no result is cut short or mixed up, whenever the close lands.
     */
    @ParameterizedTest(name = "{0} stage(s)")
    @FieldSource("STAGES")
    void closingDrainsStepsInFlightAndFailsTheRest(int stages) throws InterruptedException {
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            requests.add(GenerateRequest.of(PROMPT, SamplingParams.builder().maxNewTokens(i % 2 == 0 ? 2 : 200)
                    .ignoreEos().build()));
        }
        List<GenerationResult> expected = oneStepAtATime(requests);
        CountDownLatch firstToken = new CountDownLatch(1);
        GenerationListener signal = new GenerationListener() {
            @Override
            public void onTokens(String textDelta, List<Integer> newTokenIds) {
                firstToken.countDown();
            }
        };
        FloodEngine engine = FloodEngine.open(config().stages(stages).build());
        List<CompletableFuture<GenerationResult>> futures = requests.stream().map(r -> engine.submit(r, signal)).toList();
        firstToken.await();
        engine.close();
        for (int i = 0; i < requests.size(); i++) {
            GenerationResult result = futures.get(i).join();
            if (result.isError()) {
                assertTrue(result.error().startsWith("the engine was closed before this request"), result.error());
            } else {
                assertEquals(expected.get(i), result, "request " + i);
            }
        }
    }

    private static List<GenerationResult> oneStepAtATime(List<GenerateRequest> requests) {
        try (FloodEngine engine = FloodEngine.open(config().stepsInFlight(1).build())) {
            return engine.generate(requests);
        }
    }
}
