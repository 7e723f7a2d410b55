package dev.flood.spark;

import static dev.flood.spark.FloodFunctions.flood_generate;
import static dev.flood.spark.FloodFunctions.flood_perplexity;
import static dev.flood.spark.FloodFunctions.flood_score;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.OptionScores;
import dev.flood.api.ScoreResult;
import dev.flood.spark.catalyst.FloodEvalExec;
import dev.flood.spark.runtime.EngineRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The DataFrame functions, SQL and the transform helpers return, row for row and in input order, what an engine
 * opened directly returns for the same inputs (generation token for token; perplexity and option
 * log-likelihoods to 1e-6 relative, because the two engines batch the rows differently and chunked prefill may
 * then sum in another order).
 */
class FloodFunctionsIT {

    private static final long SEED = System.nanoTime();
    private static final Map<String, String> SAMPLED = Map.of("temperature", "0.9", "top_p", "0.95",
            "max_tokens", "12", "seed", "7", "output", "struct");

    private static SparkSession spark;
    private static List<String> prompts;
    private static Dataset<Row> frame;
    private static FloodEngine engine;

    @BeforeAll
    static void start() {
        spark = SparkTestSession.get();
        prompts = TestPrompts.mixed(new Random(SEED), 11);
        frame = TestPrompts.frame(spark, prompts);
        frame.createOrReplaceTempView("prompts");
        engine = FloodEngine.open(settings(Map.of()).engineConfig(List.of()));
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    private static FloodSettings settings(Map<String, String> options) {
        return FloodSettings.resolve(scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()), options);
    }

    /** What the engine generates for each prompt with the call's settings and the connector's row seeds. */
    private static List<GenerationResult> direct(Map<String, String> options) {
        FloodSettings settings = settings(options);
        List<GenerateRequest> requests = new ArrayList<>();
        for (String prompt : prompts) {
            requests.add(GenerateRequest.of(prompt,
                    settings.sampling().toBuilder().seed(RowSeeds.seed(settings, prompt)).build()));
        }
        return engine.generate(requests);
    }

    @Test
    void greedyGenerationAsDataFrameSqlAndTransform() {
        List<GenerationResult> expected = direct(Map.of("max_tokens", "10"));
        List<Row> dataFrame = frame.withColumn("out", flood_generate(col("prompt"), Map.of("max_tokens", "10")))
                .collectAsList();
        List<Row> sql = spark.sql("SELECT id, flood_generate(prompt, map('max_tokens', 10)) AS out FROM prompts")
                .collectAsList();
        List<Row> transformed = frame.transform(FloodTransforms.generate("prompt", "out", Map.of("max_tokens", "10")))
                .collectAsList();
        for (int i = 0; i < prompts.size(); i++) {
            String message = "row " + i + " '" + prompts.get(i) + "' (seed " + SEED + ")";
            assertEquals(i, dataFrame.get(i).getInt(0), "input order");
            assertEquals(expected.get(i).text(), dataFrame.get(i).getString(2), message);
            assertEquals(i, sql.get(i).getInt(0), "input order");
            assertEquals(expected.get(i).text(), sql.get(i).getString(1), message);
            assertEquals(expected.get(i).text(), transformed.get(i).getString(2), message);
        }
    }

    /** The choice option holds every row to one of its texts, as the engine does with the same seeds. */
    @Test
    void aChoiceCallMatchesTheEngineAndKeepsToItsChoices() {
        Map<String, String> options = Map.of("choice", "[\"yes\", \"no\", \"not sure\"]", "temperature", "1",
                "max_tokens", "16", "seed", "3");
        FloodSettings settings = settings(options);
        List<GenerateRequest> requests = new ArrayList<>();
        for (String prompt : prompts) {
            requests.add(GenerateRequest.of(prompt, settings.sampling().toBuilder()
                    .seed(RowSeeds.seed(settings, prompt)).build()).withResponseFormat(settings.responseFormat()));
        }
        List<GenerationResult> expected = engine.generate(requests);
        List<Row> rows = spark.sql("SELECT id, flood_generate(prompt, map('choice', '[\"yes\", \"no\", \"not sure\"]',"
                + " 'temperature', '1', 'max_tokens', '16', 'seed', '3')) AS out FROM prompts").collectAsList();
        for (int i = 0; i < prompts.size(); i++) {
            String message = "row " + i + " '" + prompts.get(i) + "' (seed " + SEED + ")";
            assertEquals(expected.get(i).text(), rows.get(i).getString(1), message);
            assertTrue(List.of("yes", "no", "not sure").contains(rows.get(i).getString(1)), message);
        }
    }

    @Test
    void sampledStructGenerationMatchesTheEngineWithRowSeeds() {
        List<GenerationResult> expected = direct(SAMPLED);
        List<Row> dataFrame = frame.select(col("id"), flood_generate(col("prompt"), SAMPLED).as("out")).collectAsList();
        List<Row> transformed = frame.transform(FloodTransforms.generate("prompt", "out", SAMPLED)).collectAsList();
        for (int i = 0; i < prompts.size(); i++) {
            String message = "row " + i + " '" + prompts.get(i) + "' (seed " + SEED + ")";
            GenerationResult e = expected.get(i);
            for (Row out : List.of(dataFrame.get(i).getStruct(1), transformed.get(i).getStruct(2))) {
                assertEquals(e.text(), out.getAs("text"), message);
                assertEquals(e.finishReason().wireName(), out.getAs("finish_reason"), message);
                assertEquals(e.promptTokens(), (int) out.getAs("prompt_tokens"), message);
                assertEquals(e.completionTokens(), (int) out.getAs("completion_tokens"), message);
                assertNull(out.getAs("logprobs"), "logprobs were not asked for");
                assertNull(out.getAs("error"), message);
            }
        }
    }

    @Test
    void logprobsInTheStruct() {
        Map<String, String> options = Map.of("max_tokens", "3", "logprobs", "2", "output", "struct");
        List<GenerationResult> expected = direct(options);
        List<Row> rows = frame.select(flood_generate(col("prompt"), options)).collectAsList();
        List<Row> transformed = frame.transform(FloodTransforms.generate("prompt", "out", options)).collectAsList();
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(rows.get(i).getStruct(0), transformed.get(i).getStruct(2), "the transform helper's struct");
            List<Row> logprobs = rows.get(i).getStruct(0).getList(4);
            assertEquals(expected.get(i).logprobs().size(), logprobs.size());
            for (int t = 0; t < logprobs.size(); t++) {
                assertEquals(expected.get(i).logprobs().get(t).tokenId(), logprobs.get(t).getInt(0));
                assertEquals(expected.get(i).logprobs().get(t).logprob(), logprobs.get(t).getDouble(1), 0.0,
                        "the same tokens' log-probabilities in the same decode steps");
                assertEquals(2, logprobs.get(t).getList(2).size());
            }
        }
    }

    @Test
    void perplexityAsDataFrameSqlAndTransform() {
        List<ScoreResult> expected = engine.score(prompts);
        List<Row> dataFrame = frame.select(flood_perplexity(col("prompt"))).collectAsList();
        List<Row> sql = spark.sql("SELECT flood_perplexity(prompt, named_struct('output', 'struct')) FROM prompts")
                .collectAsList();
        List<Row> transformedStructs = frame.transform(FloodTransforms.perplexity("prompt", "ppl",
                Map.of("output", "struct"))).collectAsList();
        List<Row> transformed = frame.transform(FloodTransforms.perplexity("prompt", "ppl", Map.of())).collectAsList();
        for (int i = 0; i < prompts.size(); i++) {
            ScoreResult e = expected.get(i);
            double tolerance = 1e-6 * e.perplexity();
            assertEquals(e.perplexity(), dataFrame.get(i).getDouble(0), tolerance, prompts.get(i));
            assertEquals(e.perplexity(), transformed.get(i).getDouble(2), tolerance, prompts.get(i));
            Row struct = sql.get(i).getStruct(0);
            assertEquals(e.perplexity(), struct.getDouble(0), tolerance);
            assertEquals(e.meanNll(), struct.getDouble(1), 1e-6 * Math.abs(e.meanNll()));
            assertEquals(e.tokens(), struct.getInt(2));
            assertEquals(e.tokenLogprobs().size(), struct.getList(3).size());
            assertEquals(e.tokenLogprobs().size(), transformedStructs.get(i).getStruct(2).getList(3).size());
        }
    }

    @Test
    void optionScoringPicksWhatTheEnginePicks() {
        List<String> choices = List.of(" yes", " no", " the end of it", " 42");
        List<OptionScores> expected = prompts.stream().map(p -> engine.submitOptions(p, choices).join()).toList();
        Dataset<Row> withChoices = frame.withColumn("choices", array(choices.stream().map(c -> lit(c)).toArray(org.apache.spark.sql.Column[]::new)));
        List<Row> plain = withChoices.select(flood_score(col("prompt"), col("choices"))).collectAsList();
        List<Row> struct = withChoices.select(flood_score(col("prompt"), col("choices"), Map.of("output", "struct")))
                .collectAsList();
        List<Row> transformed = withChoices.transform(FloodTransforms.score("prompt", "choices", "best", Map.of()))
                .collectAsList();
        for (int i = 0; i < prompts.size(); i++) {
            OptionScores e = expected.get(i);
            assertEquals(choices.get(e.best()), plain.get(i).getString(0), prompts.get(i));
            assertEquals(choices.get(e.best()), transformed.get(i).getString(3), prompts.get(i));
            Row s = struct.get(i).getStruct(0);
            assertEquals(e.best(), s.getInt(0));
            assertEquals(choices.get(e.best()), s.getString(1));
            List<Double> logLikelihoods = s.getList(2);
            for (int c = 0; c < choices.size(); c++) {
                assertEquals(e.logLikelihoods().get(c), logLikelihoods.get(c), 1e-6 * Math.abs(e.logLikelihoods().get(c)));
            }
            assertEquals(e.optionTokens(), s.getList(3));
        }
    }

    @Test
    void nestedCallsChainTwoOperators() {
        Dataset<Row> nested = spark.sql("SELECT flood_generate(flood_generate(prompt, map('max_tokens', 4)), "
                + "map('max_tokens', 3)) FROM prompts WHERE id < 5");
        List<Row> rows = nested.collectAsList();
        assertEquals(2, SparkTestSession.floodNodes(nested).size());
        FloodSettings inner = settings(Map.of("max_tokens", "4"));
        FloodSettings outer = settings(Map.of("max_tokens", "3"));
        for (int i = 0; i < 5; i++) {
            String first = engine.generate(List.of(GenerateRequest.of(prompts.get(i), inner.sampling()))).get(0).text();
            String second = engine.generate(List.of(GenerateRequest.of(first, outer.sampling()))).get(0).text();
            assertEquals(second, rows.get(i).getString(0), prompts.get(i));
        }
    }

    @Test
    void filtersThatDoNotReadTheResultRunBeforeGeneration() {
        Dataset<Row> filtered = frame.withColumn("out", flood_generate(col("prompt"), Map.of("max_tokens", "2")))
                .where(col("id").lt(5).and(col("out").isNotNull()));
        assertEquals(5, filtered.collectAsList().size());
        FloodEvalExec node = SparkTestSession.floodNode(filtered);
        assertEquals(5, SparkTestSession.metric(node, "numOutputRows"),
                "only the rows with id < 5 are generated:\n" + filtered.queryExecution().optimizedPlan());
    }

    /**
     * Calls whose results nothing reads are dropped from the plan: a count generates nothing (not even an engine
     * opens), and of two calls the one whose column is selected runs alone (its tokens are all the SQL metrics
     * count).
     */
    @Test
    void callsWhoseResultsNothingReadsArePruned() {
        // an engine setting no other test uses: a call that ran would open this engine
        Map<String, String> unread = Map.of("max_batch_tokens", "313", "max_tokens", "3");
        long openedBefore = EngineRegistry.shared().opened();
        Dataset<Row> withOut = frame.withColumn("out", flood_generate(col("prompt"), unread));
        assertEquals(prompts.size(), withOut.count());
        assertEquals(List.of(), SparkTestSession.floodNodes(withOut.groupBy().count()),
                "count's plan has no Flood operator");
        Dataset<Row> nested = spark.sql("SELECT id FROM (SELECT id, flood_generate(flood_generate(prompt, "
                + "map('max_batch_tokens', 313)), map('max_batch_tokens', 313)) AS o FROM prompts)");
        assertEquals(prompts.size(), nested.collectAsList().size());
        assertEquals(List.of(), SparkTestSession.floodNodes(nested), "both nested calls pruned");
        assertEquals(openedBefore, EngineRegistry.shared().opened(), "no engine opened, so no row generated");

        Dataset<Row> oneRead = frame
                .withColumn("a", flood_generate(col("prompt"), Map.of("max_tokens", "3", "ignore_eos", "true")))
                .withColumn("b", flood_generate(col("prompt"), Map.of("max_tokens", "5", "ignore_eos", "true")))
                .select(col("id"), col("b"));
        assertEquals(prompts.size(), oneRead.collectAsList().size());
        FloodEvalExec node = SparkTestSession.floodNode(oneRead);
        assertEquals(1, node.calls().size());
        assertEquals(prompts.size(), SparkTestSession.metric(node, "numOutputRows"));
        assertEquals(5L * prompts.size(), SparkTestSession.metric(node, "generatedTokens"),
                "only the selected call generated");
    }

    /** A prompt given as token ids (array<int>, or an array of longs cast to it) generates what the engine does. */
    @Test
    void promptsAsTokenIds() {
        Random random = new Random(SEED);
        int vocab = engine.modelConfig().vocabSize();
        List<Row> rows = new ArrayList<>();
        List<List<Integer>> idLists = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 1 + random.nextInt(20); t > 0; t--) {
                ids.add(random.nextInt(vocab));
            }
            idLists.add(ids);
            rows.add(RowFactory.create(i, ids));
        }
        Map<String, String> options = Map.of("max_tokens", "6", "temperature", "0.7", "seed", "3");
        FloodSettings settings = settings(options);
        List<GenerationResult> expected = engine.generate(idLists.stream().map(ids -> GenerateRequest.ofTokens(ids,
                settings.sampling().toBuilder().seed(RowSeeds.seedOfTokenIds(settings, ids)).build())).toList());
        Dataset<Row> tokens = spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType)
                .add("ids", DataTypes.createArrayType(DataTypes.IntegerType)));
        List<Row> dataFrame = tokens.withColumn("out", flood_generate(col("ids"), options)).collectAsList();
        List<Row> asLongs = tokens.withColumn("out", flood_generate(col("ids").cast("array<bigint>"), options))
                .collectAsList();
        List<Row> transformed = tokens.transform(FloodTransforms.generate("ids", "out", options)).collectAsList();
        for (int i = 0; i < rows.size(); i++) {
            String message = "row " + i + " " + idLists.get(i) + " (seed " + SEED + ")";
            assertEquals(expected.get(i).text(), dataFrame.get(i).getString(2), message);
            assertEquals(expected.get(i).text(), asLongs.get(i).getString(2), message);
            assertEquals(expected.get(i).text(), transformed.get(i).getString(2), message);
        }
        Row nullId = spark.sql("SELECT flood_generate(array(5, NULL, 7), map('output', 'struct')).error").first();
        assertEquals("the prompt's token id at index 1 is NULL", nullId.getString(0));
    }

    @Test
    void badCallsFailAnalysisWithTheirReason() {
        assertFailure(() -> spark.sql("SELECT flood_generate(prompt, map('tempreature', '1')) FROM prompts"),
                "unknown Flood option 'tempreature'");
        assertFailure(() -> spark.sql("SELECT flood_generate(prompt, map('max_tokens', prompt)) FROM prompts"),
                "flood_generate: the options argument must be a constant map or struct");
        assertFailure(() -> spark.sql("SELECT flood_score(prompt) FROM prompts"),
                "flood_score takes 2 data argument(s) and an optional options map or struct, got 1 argument(s)");
        assertFailure(() -> spark.sql("SELECT flood_generate(array('a', 'b')) FROM prompts"),
                "flood_generate: a prompt must be a string or an array of token ids, got array<string>");
        assertFailure(() -> spark.sql("SELECT count(flood_generate(prompt)) FROM prompts"),
                "flood_generate can only be used in a SELECT list, WHERE or ORDER BY, not in Aggregate");
        assertFailure(() -> spark.sql("SELECT flood_generate(prompt, map('top_p', '2')) FROM prompts").collectAsList(),
                "invalid Flood sampling option: top_p must be in (0, 1], got 2.0");
    }

    private static void assertFailure(org.junit.jupiter.api.function.Executable action, String message) {
        Exception e = assertThrows(Exception.class, action);
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertTrue(messages.toString().contains(message), "expected '" + message + "' in:\n" + messages);
        assertFalse(messages.isEmpty());
    }
}
