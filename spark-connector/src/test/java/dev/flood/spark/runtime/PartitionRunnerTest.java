package dev.flood.spark.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.FloodException;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.ScoreResult;
import dev.flood.spark.FloodSettings;
import dev.flood.spark.RowSeeds;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The runner keeps its window, emits in input order what the engine computes, and reports what it did. */
class PartitionRunnerTest {

    private static final long SEED = System.nanoTime();
    private static final Map<String, String> CONF = Map.of("spark.flood.model",
            Fixtures.model("tiny-llama").toString(), "spark.flood.threads", "2");

    private static FloodEngine engine;

    @BeforeAll
    static void open() {
        engine = FloodEngine.open(EngineConfig.builder(Fixtures.model("tiny-llama")).threads(2).build());
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    /** Counts rows as the runner pulls them, so the test can check the window. */
    private static final class CountingInput implements Iterator<String> {
        private final Iterator<String> rows;
        private int pulled;

        CountingInput(List<String> rows) {
            this.rows = rows.iterator();
        }

        @Override
        public boolean hasNext() {
            return rows.hasNext();
        }

        @Override
        public String next() {
            pulled++;
            return rows.next();
        }
    }

    private static final class Recorded implements RunnerMetrics {
        long rows;
        long promptTokens;
        long generatedTokens;
        long waitedNanos;
        double meanRunningBatch = -1;

        @Override
        public void row(long numPromptTokens, long numGeneratedTokens) {
            rows++;
            promptTokens += numPromptTokens;
            generatedTokens += numGeneratedTokens;
        }

        @Override
        public void waited(long nanos) {
            waitedNanos += nanos;
        }

        @Override
        public void meanRunningBatch(double requests) {
            meanRunningBatch = requests;
        }

        @Override
        public void prefixCache(long cachedPromptTokens, long lookedUpPromptTokens, int cachedPrefixTokens,
                                int cachedPrefixExtents) {
        }
    }

    @Test
    void windowOrderAndValuesOfTwoCalls() {
        Random random = new Random(SEED);
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 37; i++) {
            prompts.add("line " + random.nextInt(1000) + " " + "ab ".repeat(random.nextInt(30)));
        }
        FloodSettings generate = FloodSettings.resolve(CONF, Map.of("temperature", "0.8", "max_tokens",
                String.valueOf(3 + random.nextInt(9)), "output", "struct"));
        FloodSettings perplexity = FloodSettings.resolve(CONF, Map.of());
        int window = 5;
        CountingInput input = new CountingInput(prompts);
        Recorded metrics = new Recorded();
        PartitionRunner<String> runner = new PartitionRunner<>(List.of(
                new CallRunner(FloodFunction.GENERATE, generate, engine),
                new CallRunner(FloodFunction.PERPLEXITY, perplexity, engine)),
                (row, call) -> CallInput.of(row), window, metrics, 0);

        List<GenerationResult> expected = engine.generate(prompts.stream().map(p -> GenerateRequest.of(p,
                generate.sampling().toBuilder().seed(RowSeeds.seed(generate, p)).build())).toList());
        List<ScoreResult> expectedScores = engine.score(prompts);

        Iterator<PartitionRunner.Evaluated<String>> out = runner.run(input);
        long promptTokens = 0;
        for (int i = 0; i < prompts.size(); i++) {
            assertTrue(out.hasNext());
            PartitionRunner.Evaluated<String> row = out.next();
            assertTrue(input.pulled - (i + 1) <= window, "rows pulled but not emitted: " + (input.pulled - i - 1));
            assertEquals(prompts.get(i), row.row(), "input order");
            org.apache.spark.sql.Row struct = (org.apache.spark.sql.Row) row.values()[0];
            assertEquals(expected.get(i).text(), struct.getString(0), "row " + i + " (seed " + SEED + ")");
            // perplexity of the same text in another batch: 1e-6 relative allows a different summation order
            assertEquals(expectedScores.get(i).perplexity(), (Double) row.values()[1],
                    1e-6 * expectedScores.get(i).perplexity());
            promptTokens += expected.get(i).promptTokens() + expectedScores.get(i).tokens();
        }
        assertFalse(out.hasNext());
        assertEquals(prompts.size(), input.pulled, "the whole input was read");
        assertEquals(prompts.size(), metrics.rows);
        assertEquals(promptTokens, metrics.promptTokens);
        assertEquals(expected.stream().mapToLong(GenerationResult::completionTokens).sum(), metrics.generatedTokens);
        assertTrue(metrics.waitedNanos > 0);
        assertTrue(metrics.meanRunningBatch >= 1, "mean batch recorded when the input ran out: " + metrics.meanRunningBatch);
    }

    @Test
    void onErrorFailNamesTheRowByItsKeyAndPrompt() {
        FloodSettings failing = FloodSettings.resolve(CONF, Map.of("max_tokens", "2", "on_error", "fail",
                "key_column", "id"));
        PartitionRunner<String> runner = new PartitionRunner<>(
                List.of(new CallRunner(FloodFunction.GENERATE, failing, engine)),
                (row, call) -> new CallInput(row.substring(2), null, null, null, row.substring(0, 1)), 4,
                RunnerMetrics.NONE, 3);
        String overLong = "x:" + "a very long prompt ".repeat(200);
        Iterator<PartitionRunner.Evaluated<String>> out = runner.run(List.of("a:fine", "b:also fine", overLong).iterator());
        out.next();
        out.next();
        RowFailure e = assertThrows(RowFailure.class, out::next);
        assertTrue(e.getMessage().startsWith("flood_generate failed (on_error=fail) on the row with id=x, prompt "
                + "'a very long prompt a very long prompt a …' (row 2 of partition 3): prompt has "),
                e.getMessage());
    }

    @Test
    void failedRowsAreDescribedByTheirPromptsFirstCharactersOrTokenIds() {
        assertEquals("prompt NULL", RowFailure.describePrompt(CallInput.of(null)));
        assertEquals("prompt 'short'", RowFailure.describePrompt(CallInput.of("short")));
        assertEquals("prompt '" + "\uD83D\uDE80".repeat(40) + "…'",
                RowFailure.describePrompt(CallInput.of("\uD83D\uDE80".repeat(41))), "40 code points, not chars");
        assertEquals("prompt [1, 2, 3] (3 token ids)",
                RowFailure.describePrompt(new CallInput(null, List.of(1, 2, 3), null, null, null)));
        assertEquals("prompt [0, 1, 2, 3, 4, 5, 6, 7, …] (12 token ids)", RowFailure.describePrompt(
                new CallInput(null, java.util.stream.IntStream.range(0, 12).boxed().toList(), null, null, null)));
        assertEquals("messages NULL", RowFailure.describeMessages(null));
        assertEquals("messages [] (0 messages)", RowFailure.describeMessages(List.of()));
        assertEquals("messages [user: 'Hi'] (1 message)", RowFailure.describeMessages(
                List.of(new CallInput.Message("user", "Hi"))));
        assertEquals("messages [system: '" + "x".repeat(40) + "…', …] (2 messages)", RowFailure.describeMessages(
                List.of(new CallInput.Message("system", "x".repeat(41)), new CallInput.Message("user", "Hi"))));
        assertEquals("messages [NULL, …] (2 messages)", RowFailure.describeMessages(
                java.util.Arrays.asList(null, new CallInput.Message("user", "Hi"))));
        assertEquals("messages [NULL: NULL] (1 message)", RowFailure.describeMessages(
                List.of(new CallInput.Message(null, null))));
    }

    @Test
    void badWindowIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PartitionRunner<String>(
                List.of(new CallRunner(FloodFunction.PERPLEXITY, FloodSettings.resolve(CONF, Map.of()), engine)),
                (row, call) -> CallInput.of(row), 0, RunnerMetrics.NONE, 0));
        assertEquals("maxInFlightRows must be >= 1, got 0", e.getMessage());
    }
}
