package dev.flood.spark;

import static dev.flood.spark.FloodFunctions.flood_generate;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * output_schema: sampled freely (temperature 1) by the demo model, every row either completes its JSON (finish
 * reason stop) and reads back as a typed struct whose fields are exactly the JSON's, or is cut by max_tokens
 * (finish reason length) with its raw text, an error and no value; never a half-parsed value.
 */
class OutputSchemaIT {

    private static final long SEED = System.nanoTime() % 1000;
    private static final String PERSON = "name STRING, age INT, tags ARRAY<STRING>";
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * At temperature 1 the demo model closes about one JSON in ten within 64 tokens (its strings run long), so
     * 100 rows hold both kinds: no complete row has a chance of about 0.9^100.
     */
    private static final int NUM_PEOPLE = 100;

    private static SparkSession spark;
    private static String demo;
    private static Dataset<Row> people;

    @BeforeAll
    static void start() {
        spark = SparkTestSession.get();
        demo = Fixtures.demoModel().toAbsolutePath().toString();
        people = spark.range(0, NUM_PEOPLE, 1, 2).withColumn("prompt",
                concat(lit("The person number "), col("id"), lit(" was")));
        people.createOrReplaceTempView("people");
    }

    private static Map<String, String> options(String... keysAndValues) {
        Map<String, String> options = new HashMap<>(Map.of("model", demo, "output_schema", PERSON,
                "temperature", "1.0", "max_tokens", "64", "seed", Long.toString(SEED)));
        for (int i = 0; i < keysAndValues.length; i += 2) {
            options.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return options;
    }

    /**
     * Each row whose JSON is complete (finish reason stop, or length where the last token closed it) has a typed
     * value equal to its JSON; each cut-off row has the error and no value. The plain column (DataFrame and the
     * transform helper, on a few rows) is that same value, read back field by field.
     */
    @Test
    void everyRowIsATypedStructOrCutOffWithItsText() throws Exception {
        Dataset<Row> out = people.withColumn("full", flood_generate(col("prompt"), options("output", "struct")));
        assertEquals(List.of("value", "text", "finish_reason", "prompt_tokens", "completion_tokens", "logprobs",
                "error"), List.of(((StructType) out.schema().apply("full").dataType()).fieldNames()));
        List<Row> rows = out.select(col("id"), col("full.value.name"), col("full.value.age"), col("full.value.tags"),
                col("full.text"), col("full.finish_reason"), col("full.error")).collectAsList();
        assertEquals(NUM_PEOPLE, rows.size());
        int stopped = 0;
        int cut = 0;
        for (Row row : rows) {
            String message = "row " + row.getLong(0) + " (seed " + SEED + "): " + row;
            String text = row.getString(4);
            assertNotNull(text, message);
            if (row.isNullAt(6)) {
                stopped += row.getString(5).equals("stop") ? 1 : 0;
                JsonNode json = JSON.readTree(text);
                assertEquals(json.get("name").textValue(), row.getString(1), message);
                assertEquals(json.get("age").intValue(), row.getInt(2), message);
                assertTrue(json.get("age").canConvertToInt(), message);
                List<String> tags = new ArrayList<>();
                json.get("tags").forEach(t -> tags.add(t.textValue()));
                assertTrue(tags.stream().allMatch(t -> t != null), message);
                assertEquals(tags, row.getList(3), message);
            } else {
                cut++;
                assertEquals("length", row.getString(5), message);
                assertTrue(row.getString(6).contains("before it was complete for its response format"), message);
                assertTrue(row.isNullAt(1) && row.isNullAt(2) && row.isNullAt(3), message);
            }
        }
        assertTrue(stopped > 0, "some row completed its JSON within 64 tokens (seed " + SEED + ")");
        assertEquals(NUM_PEOPLE, stopped + cut + rows.stream().filter(r -> r.isNullAt(6)
                && r.getString(5).equals("length")).count(), "every row stopped or reached max_tokens");

        // a few complete rows and a cut one: their prompts and seeds give the same outputs again
        List<Long> ids = new ArrayList<>(rows.stream().filter(r -> r.isNullAt(6)).map(r -> r.getLong(0)).limit(4)
                .toList());
        rows.stream().filter(r -> !r.isNullAt(6)).findFirst().ifPresent(r -> ids.add(r.getLong(0)));
        Dataset<Row> few = people.where(col("id").isin(ids.toArray()));
        List<Row> plain = few.withColumn("person", flood_generate(col("prompt"), options()))
                .select("id", "person.name", "person.age", "person.tags").collectAsList();
        Dataset<Row> transformedFrame = few.transform(FloodTransforms.generate("prompt", "person", options()));
        assertEquals(StructType.fromDDL(PERSON), transformedFrame.schema().apply("person").dataType());
        List<Row> transformed = transformedFrame.select("id", "person.name", "person.age", "person.tags")
                .collectAsList();
        for (List<Row> read : List.of(plain, transformed)) {
            assertEquals(ids.size(), read.size());
            for (Row row : read) {
                Row same = rows.get((int) row.getLong(0));
                assertEquals(Arrays.asList(same.get(1), same.get(2), same.get(3)),
                        Arrays.asList(row.get(1), row.get(2), row.get(3)), "row " + row.getLong(0));
            }
        }
    }

    /** In SQL, with max_tokens too small for any complete value: every row is cut, none half-parsed. */
    @Test
    void rowsCutByMaxTokensGetAnErrorAndNoValue() {
        List<Row> rows = spark.sql("SELECT id, flood_generate(prompt, map('model', '" + demo + "', 'output_schema', '"
                + PERSON + "', 'max_tokens', '3', 'output', 'struct')) AS out FROM people WHERE id < 8").collectAsList();
        assertEquals(8, rows.size());
        for (Row row : rows) {
            Row out = row.getStruct(1);
            assertNull(out.getAs("value"));
            assertEquals("length", out.getAs("finish_reason"));
            assertTrue(((String) out.getAs("text")).startsWith("{\""), out.toString());
            assertEquals("the output reached 3 tokens (max_tokens 3, or the model's context) before it was complete "
                    + "for its response format; its raw text is kept", out.getAs("error"));
        }
        SparkException e = assertThrows(SparkException.class, () -> spark.sql("SELECT flood_generate(prompt, map("
                + "'model', '" + demo + "', 'output_schema', '" + PERSON + "', 'max_tokens', '3', 'on_error', 'fail', "
                + "'key_column', 'id')) FROM people WHERE id = 5").collectAsList());
        assertTrue(e.getMessage().contains("flood_generate failed (on_error=fail) on the row with id=5, prompt 'The "
                + "person number 5 was'"), e.getMessage());
    }

    /** A JSON schema is typed by its properties; a property the schema lets be null or absent reads as null. */
    @Test
    void aJsonSchemaInSql() {
        String schema = "{\"type\": \"object\", \"properties\": {\"ok\": {\"type\": \"boolean\"}, "
                + "\"n\": {\"type\": [\"integer\", \"null\"], \"minimum\": 0, \"maximum\": 9}}, \"required\": [\"ok\"]}";
        Dataset<Row> out = spark.sql("SELECT id, flood_generate(prompt, map('model', '" + demo + "', 'output_schema', '"
                + schema + "', 'temperature', '1', 'max_tokens', '24', 'output', 'struct')) AS out FROM people "
                + "WHERE id < 16");
        DataType value = ((StructType) out.schema().apply("out").dataType()).apply("value").dataType();
        assertEquals(StructType.fromDDL("ok BOOLEAN, n BIGINT"), value);
        int stopped = 0;
        for (Row row : out.select("out.value.ok", "out.value.n", "out.text", "out.finish_reason").collectAsList()) {
            if (row.getString(3).equals("stop")) {
                stopped++;
                assertNotNull(row.get(0), row.toString());
                assertTrue(row.getString(2).startsWith("{\"ok\":"), row.toString());
                assertTrue(row.isNullAt(1) || (row.getLong(1) >= 0 && row.getLong(1) <= 9), row.toString());
                assertEquals(row.isNullAt(1), !row.getString(2).contains("\"n\":") || row.getString(2).contains(
                        "\"n\":null"), "null exactly where the JSON has none: " + row);
            }
        }
        assertEquals(16, stopped, "the longest output the schema allows, {\"ok\":false,\"n\":null}, is 21 bytes: "
                + "every row completes within 24 tokens");
    }

    @Test
    void schemasWithoutASparkTypeOrWithAnotherFormatFailTheQuery() {
        FloodChatIT.assertFailure(() -> spark.sql("SELECT flood_generate(prompt, map('output_schema', 'd DATE, "
                + "n INT')) FROM people"), "output_schema: field 'd': type DATE cannot be generated as JSON");
        FloodChatIT.assertFailure(() -> spark.sql("SELECT flood_generate(prompt, map('output_schema', "
                + "'{\"type\": \"object\", \"properties\": {\"x\": {}}}')) FROM people"),
                "output_schema: the JSON schema at '/properties/x' admits any JSON value");
        FloodChatIT.assertFailure(() -> spark.sql("SELECT flood_perplexity(prompt, map('output_schema', 'a INT')) "
                + "FROM people"), "flood_perplexity: output_schema applies to flood_generate and flood_chat only");
        FloodChatIT.assertFailure(() -> spark.sql("SELECT flood_generate(prompt, map('output_schema', 'a INT', "
                        + "'regex', '[0-9]+')) FROM people").collectAsList(),
                "the Flood option output_schema cannot be combined with regex");
    }
}
