package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.FinishReason;
import dev.flood.api.FloodEngine;
import dev.flood.api.FloodException;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreOptions;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of bad input gets a clear message, and requests beside a bad one are untouched. */
class BadInputTest {

    @TempDir
    Path temp;

    private static final SamplingParams TEN = SamplingParams.builder().maxNewTokens(10).ignoreEos().build();

    @Test
    void badRequestsFailAloneInABatch() {
        try (FloodEngine engine = FloodEngine.open(EngineConfig.builder(Fixtures.model("tiny-llama")).threads(2).build())) {
            GenerateRequest good = GenerateRequest.of("The quick brown fox", TEN);
            GenerationResult expected = engine.generate(List.of(good)).get(0);
            List<GenerateRequest> batch = new ArrayList<>();
            batch.add(good);
            batch.add(new GenerateRequest(null, null, TEN));
            batch.add(GenerateRequest.of("word ".repeat(600), TEN));
            batch.add(GenerateRequest.ofTokens(List.of(0, 5000), TEN));
            batch.add(GenerateRequest.ofTokens(List.of(), TEN));
            batch.add(good);
            List<GenerationResult> results = engine.generate(batch);
            assertEquals(expected.tokenIds(), results.get(0).tokenIds());
            assertEquals(expected.tokenIds(), results.get(5).tokenIds());
            assertError(results.get(1), "prompt is null");
            assertError(results.get(2), "but the model's context is 512 tokens");
            assertError(results.get(3), "token id 5000 is outside the vocabulary [0, 1024)");
            assertError(results.get(4), "prompt is empty");

            List<ScoreResult> scores = engine.score(java.util.Arrays.asList("fine text", null, "word ".repeat(600)));
            assertFalse(scores.get(0).isError());
            assertTrue(scores.get(1).error().contains("text is null"), scores.get(1).error());
            assertTrue(scores.get(2).windows() > 1, "a text past the context is scored in sliding windows");
            ScoreOptions reject = ScoreOptions.DEFAULTS.withLongTexts(ScoreOptions.LongTexts.REJECT);
            String tooLong = engine.submitScore(ScoreRequest.of("word ".repeat(600), reject)).join().error();
            assertTrue(tooLong.matches("text has \\d+ tokens but the model's context is 512 tokens \\(sliding windows are "
                    + "off\\)"), tooLong);
            String tooLongForTheWindow = engine.submitScore(ScoreRequest.of("word ".repeat(20), reject.withMaxLength(8)))
                    .join().error();
            assertTrue(tooLongForTheWindow.endsWith("but max_length is 8 tokens (sliding windows are off)"),
                    tooLongForTheWindow);
            String badStride = engine.submitScore(ScoreRequest.of("fine text", ScoreOptions.DEFAULTS.withStride(512)))
                    .join().error();
            assertEquals("stride 512 must be below the window of 512 tokens (max_length)", badStride);
            String pastContext = engine.submitScore(ScoreRequest.of("fine text", ScoreOptions.DEFAULTS.withMaxLength(600)))
                    .join().error();
            assertEquals("max_length 600 exceeds the model's context of 512 tokens", pastContext);
            assertTrue(engine.metrics().failedRequests() >= 9);
        }
    }

    @Test
    void requestLargerThanTheWholeCacheFailsInsteadOfWaiting() {
        EngineConfig config = EngineConfig.builder(Fixtures.model("tiny-llama")).threads(2).cacheTokens(40).build();
        try (FloodEngine engine = FloodEngine.open(config)) {
            // "Hello" is 5 tokens with BOS: 5 + 100 slots needed, 40 in the cache
            GenerationResult r = engine.generate(List.of(GenerateRequest.of("Hello", SamplingParams.greedy(100)))).get(0);
            assertError(r, "needs 105 KV cache slots (prompt plus max new tokens) but the cache holds 40");
            GenerationResult fits = engine.generate(List.of(GenerateRequest.of("Hello", SamplingParams.greedy(30)))).get(0);
            assertFalse(fits.isError(), fits.error());
        }
    }

    private static void assertError(GenerationResult result, String message) {
        assertEquals(FinishReason.ERROR, result.finishReason());
        assertTrue(result.error().contains(message), "expected '" + message + "' in: " + result.error());
    }

    @Test
    void invalidSamplingValuesAreRejectedWithTheirName() {
        assertMessage(() -> SamplingParams.builder().temperature(-0.5).build(), "temperature must be >= 0");
        assertMessage(() -> SamplingParams.builder().topP(0).build(), "top_p must be in (0, 1], got 0.0");
        assertMessage(() -> SamplingParams.builder().topP(1.5).build(), "top_p must be in (0, 1], got 1.5");
        assertMessage(() -> SamplingParams.builder().maxNewTokens(0).build(), "max_tokens must be >= 1, got 0");
        assertMessage(() -> SamplingParams.builder().topK(-1).build(), "top_k must be >= 0");
        assertMessage(() -> SamplingParams.builder().minP(2).build(), "min_p must be in [0, 1]");
        assertMessage(() -> SamplingParams.builder().repetitionPenalty(0).build(), "repetition_penalty must be > 0");
        assertMessage(() -> SamplingParams.builder().logprobs(21).build(), "logprobs must be in [0, 20]");
    }

    private static void assertMessage(Executable action, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action);
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }

    @Test
    void missingModelFolderOrFiles() throws IOException {
        assertOpenFails(temp.resolve("nowhere"), "config.json");
        Path noWeights = copyOfFixture("no-weights");
        Files.delete(noWeights.resolve("model.safetensors"));
        assertOpenFails(noWeights, "no model.safetensors or model.safetensors.index.json in " + noWeights);
    }

    @Test
    void corruptSafetensorsHeader() throws IOException {
        Path model = copyOfFixture("bad-header");
        ByteBuffer header = ByteBuffer.allocate(8 + 11).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(11).put("{not json!!".getBytes(StandardCharsets.US_ASCII));
        Files.write(model.resolve("model.safetensors"), header.array());
        assertOpenFails(model, "model.safetensors");
    }

    @Test
    void missingTensor() throws IOException {
        Path model = copyOfFixture("missing-tensor");
        Path file = model.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        // rename the tensor in the header in place (same length), so the file stays valid but lacks it
        String text = new String(bytes, StandardCharsets.ISO_8859_1).replace("\"model.norm.weight\"", "\"model.norm.weighx\"");
        Files.write(file, text.getBytes(StandardCharsets.ISO_8859_1));
        assertOpenFails(model, "model.norm.weight");
    }

    @Test
    void shapeMismatch() throws IOException {
        Path model = copyOfFixture("shape-mismatch");
        rewriteConfig(model, "\"intermediate_size\": 176", "\"intermediate_size\": 160");
        assertOpenFails(model, "expected [160, 64]");
    }

    @Test
    void unsupportedArchitectureListsTheSupportedOnes() throws IOException {
        Path model = copyOfFixture("gpt2");
        rewriteConfig(model, "\"LlamaForCausalLM\"", "\"GPT2LMHeadModel\"");
        assertOpenFails(model, model.resolve("config.json") + ": unsupported architecture 'GPT2LMHeadModel' "
                + "(supported: LlamaForCausalLM, MistralForCausalLM, MixtralForCausalLM, Qwen2ForCausalLM, "
                + "Qwen3ForCausalLM, Qwen3MoeForCausalLM)");
    }

    private Path copyOfFixture(String name) throws IOException {
        Path dir = Files.createDirectories(temp.resolve(name));
        try (var files = Files.list(Fixtures.model("tiny-llama"))) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    private static void rewriteConfig(Path model, String from, String to) throws IOException {
        Path config = model.resolve("config.json");
        String text = Files.readString(config);
        assertTrue(text.contains(from), "fixture config should contain " + from);
        Files.writeString(config, text.replace(from, to));
    }

    private static void assertOpenFails(Path model, String message) {
        FloodException e = assertThrows(FloodException.class,
                () -> FloodEngine.open(EngineConfig.builder(model).threads(1).build()).close());
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }
}
