package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.NanoTime;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every input column reaches the output: JSON Lines as given, Parquet with its type, each converted for the other. */
class InputColumnsTest {

    static final String LLAMA = Fixtures.model("tiny-llama").toString();

    /** Columns of every kind Spark and other writers produce, the prompt among them. */
    static final MessageType TYPES = MessageTypeParser.parseMessageType("""
            message spark_schema {
              required int32 id;
              optional int64 big;
              optional double score;
              optional boolean flag;
              optional binary prompt (STRING);
              optional int96 ts;
              optional int32 day (DATE);
              optional int64 price (DECIMAL(10,2));
              optional int64 at (TIMESTAMP(MICROS,true));
              optional group tags (LIST) { repeated group list { optional binary element (STRING); } }
              optional group meta { optional binary source (STRING); optional int32 rank; }
              optional group attrs (MAP) { repeated group key_value { required binary key (STRING); optional int32 value; } }
              optional binary raw;
            }
            """);

    @TempDir
    Path temp;

    @Test
    void parquetColumnsKeepTheirTypesAndValuesInParquetOutput() throws IOException {
        Path input = temp.resolve("typed.parquet");
        ParquetFiles.write(input, TYPES, typedRows());
        Path output = temp.resolve("out.parquet");
        Cli run = generate("--input", input.toString(), "--output", output.toString());
        assertEquals(0, run.exitCode(), run.describe());

        MessageType written = ParquetFiles.schema(output);
        assertEquals(TYPES.getFields(), written.getFields().subList(0, TYPES.getFieldCount()),
                "the input's columns come first, each with its type");
        assertEquals(List.of("text", "token_ids", "finish_reason", "prompt_tokens", "completion_tokens", "logprobs",
                "error"), written.getFields().subList(TYPES.getFieldCount(), written.getFieldCount()).stream()
                .map(Type::getName).toList());
        List<Group> in = ParquetFiles.read(input);
        List<Group> out = ParquetFiles.read(output);
        assertEquals(in.size(), out.size());
        for (int i = 0; i < in.size(); i++) {
            for (int field = 0; field < TYPES.getFieldCount(); field++) {
                assertEquals(values(in.get(i), field), values(out.get(i), field), "row " + i + " " + TYPES.getFieldName(field));
            }
        }
        assertEquals("Hello", out.get(0).getString("prompt", 0));
        assertEquals(2, out.get(0).getInteger("completion_tokens", 0));
        assertEquals("row 2: 'prompt' is null", out.get(1).getString("error", 0));
    }

    @Test
    void parquetColumnsBecomeJsonValues() throws IOException {
        Path input = temp.resolve("typed.parquet");
        ParquetFiles.write(input, TYPES, typedRows());
        Cli run = generate("--input", input.toString(), "--json");
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        JsonNode full = Cli.parse("""
                {"id": 0, "big": 12345678901, "score": 0.5, "flag": true, "prompt": "Hello",
                 "ts": "2024-03-01T12:30:00Z", "day": "2024-03-01", "price": 12.34,
                 "at": "2024-03-01T12:30:00.000001Z", "tags": ["a", null, "b"], "meta": {"source": "web", "rank": 3},
                 "attrs": {"x": 1, "y": null}, "raw": "AAEC"}
                """);
        assertEquals(full, prefix(lines.get(0), full.size()));
        JsonNode nulls = Cli.parse("""
                {"id": 1, "big": null, "score": null, "flag": null, "prompt": null, "ts": null, "day": null,
                 "price": null, "at": null, "tags": null, "meta": null, "attrs": null, "raw": null}
                """);
        assertEquals(nulls, prefix(lines.get(1), nulls.size()));
        assertEquals("row 2: 'prompt' is null", lines.get(1).get("error").asText());
    }

    @Test
    void jsonLinesFieldsAreWrittenAsGiven() throws IOException {
        String line = "{\"id\":\"a-7\",\"price\":1.50,\"huge\":123456789012345678901234567890,"
                + "\"meta\":{\"a\":[1,{\"b\":null}]},\"note\":null,\"prompt\":\"Hello\"}";
        Path input = temp.resolve("in.jsonl");
        Files.writeString(input, line + "\n");
        Cli run = generate("--input", input.toString(), "--json");
        assertEquals(0, run.exitCode(), run.describe());
        String written = run.out().strip();
        assertTrue(written.startsWith(line.substring(0, line.length() - 1) + ",\"text\":"),
                "the line's fields, in order and as written, then the results: " + written);
    }

    @Test
    void jsonLinesFieldsGetParquetTypesFromEveryLine() throws IOException {
        Path input = temp.resolve("in.jsonl");
        Files.write(input, List.of(
                "{\"id\": 1, \"prompt\": \"Hello\", \"score\": 0.5, \"flag\": true, \"meta\": {\"a\": 1}, \"mixed\": 1,"
                        + " \"none\": null}",
                "not json",
                "{\"id\": 2, \"prompt\": \"Hi\", \"score\": 2, \"flag\": false, \"meta\": [1, 2], \"mixed\": \"x\","
                        + " \"late\": \"z\"}"), StandardCharsets.UTF_8);
        Path output = temp.resolve("out.parquet");
        Cli run = generate("--input", input.toString(), "--output", output.toString());
        assertEquals(0, run.exitCode(), run.describe());
        MessageType schema = ParquetFiles.schema(output);
        assertEquals(MessageTypeParser.parseMessageType("""
                message jsonl {
                  optional int64 id;
                  optional binary prompt (STRING);
                  optional double score;
                  optional boolean flag;
                  optional binary meta (JSON);
                  optional binary mixed (JSON);
                  optional binary none (STRING);
                  optional binary late (STRING);
                }
                """).getFields(), schema.getFields().subList(0, 8));
        List<Group> rows = ParquetFiles.read(output);
        assertEquals(3, rows.size());
        assertEquals(2L, rows.get(2).getLong("id", 0));
        assertEquals(2.0, rows.get(2).getDouble("score", 0));
        assertFalse(rows.get(2).getBoolean("flag", 0));
        assertEquals("{\"a\":1}", rows.get(0).getString("meta", 0));
        assertEquals("[1,2]", rows.get(2).getString("meta", 0));
        assertEquals("\"x\"", rows.get(2).getString("mixed", 0));
        assertEquals(0, rows.get(0).getFieldRepetitionCount("late"));
        assertEquals(0, rows.get(1).getFieldRepetitionCount("id"), "an unreadable line has no columns");
        assertTrue(rows.get(1).getString("error", 0).startsWith("line 2: not valid JSON: "));
    }

    @Test
    void csvColumnsAreStrings() throws IOException {
        Path input = temp.resolve("in.csv");
        Files.writeString(input, "id,prompt\n7,Hello\n");
        Path output = temp.resolve("out.parquet");
        Cli run = generate("--input", input.toString(), "--output", output.toString());
        assertEquals(0, run.exitCode(), run.describe());
        MessageType schema = ParquetFiles.schema(output);
        for (String name : List.of("id", "prompt")) {
            Type column = schema.getType(name);
            assertEquals(PrimitiveTypeName.BINARY, column.asPrimitiveType().getPrimitiveTypeName(), name);
            assertEquals(LogicalTypeAnnotation.stringType(), column.getLogicalTypeAnnotation(), name);
        }
        assertEquals("7", ParquetFiles.read(output).get(0).getString("id", 0));
    }

    @Test
    void aColumnNamedLikeAResultIsRefusedUnlessResultsArePrefixed() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType(
                "message m { optional binary text (STRING); optional binary error (STRING); }");
        Path input = temp.resolve("docs.parquet");
        ParquetFiles.write(input, schema, List.of(new SimpleGroupFactory(schema).newGroup().append("text", "Hello")
                .append("error", "none")));
        Cli refused = generate("--input", input.toString(), "--prompt-column", "text");
        assertEquals(1, refused.exitCode(), refused.describe());
        assertEquals("flood generate: error: " + input + " has columns named text, error: the output gives that name to"
                + " a result column; give --result-prefix PREFIX to put PREFIX before the result columns' names\n",
                refused.err());

        Path output = temp.resolve("out.parquet");
        Cli prefixed = generate("--input", input.toString(), "--prompt-column", "text", "--result-prefix", "flood_",
                "--output", output.toString());
        assertEquals(0, prefixed.exitCode(), prefixed.describe());
        Group row = ParquetFiles.read(output).get(0);
        assertEquals("Hello", row.getString("text", 0));
        assertEquals("none", row.getString("error", 0));
        assertEquals(2, row.getInteger("flood_completion_tokens", 0));
        assertEquals(0, row.getFieldRepetitionCount("flood_error"));
    }

    @Test
    void aJsonLineWithAResultsNameFailsAlone() throws IOException {
        Path input = temp.resolve("in.jsonl");
        Files.write(input, List.of("{\"prompt\": \"Hello\", \"finish_reason\": \"mine\"}", "{\"prompt\": \"Hi\"}"),
                StandardCharsets.UTF_8);
        Cli run = generate("--input", input.toString(), "--json");
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertEquals("line 1: has a field 'finish_reason': the output gives that name to a result column; give"
                + " --result-prefix PREFIX to put PREFIX before the result columns' names",
                lines.get(0).get("error").asText());
        assertFalse(lines.get(1).has("error"), lines.get(1).toString());
        assertTrue(run.err().contains("flood generate: 1 of 2 rows failed"), run.err());
    }

    @Test
    void thePromptColumnMustHoldStrings() throws IOException {
        Path input = temp.resolve("typed.parquet");
        ParquetFiles.write(input, TYPES, typedRows());
        Cli run = generate("--input", input.toString(), "--prompt-column", "id");
        assertEquals(1, run.exitCode(), run.describe());
        assertEquals("flood generate: error: " + input + ": column 'id' must hold strings, but it is required int32 id\n",
                run.err());
    }

    /** Row 1 has every column set; row 2 only its required id. */
    private static List<Group> typedRows() {
        SimpleGroupFactory factory = new SimpleGroupFactory(TYPES);
        Group full = factory.newGroup().append("id", 0).append("big", 12345678901L).append("score", 0.5)
                .append("flag", true).append("prompt", "Hello")
                .append("ts", new NanoTime((int) (LocalDate.of(2024, 3, 1).toEpochDay() + 2_440_588L),
                        (12 * 3600 + 30 * 60) * 1_000_000_000L))
                .append("day", (int) LocalDate.of(2024, 3, 1).toEpochDay()).append("price", 1234L)
                .append("at", (LocalDate.of(2024, 3, 1).toEpochDay() * 86_400 + 12 * 3600 + 30 * 60) * 1_000_000 + 1)
                .append("raw", Binary.fromConstantByteArray(new byte[] {0, 1, 2}));
        Group tags = full.addGroup("tags");
        tags.addGroup("list").append("element", "a");
        tags.addGroup("list");
        tags.addGroup("list").append("element", "b");
        full.addGroup("meta").append("source", "web").append("rank", 3);
        Group attrs = full.addGroup("attrs");
        attrs.addGroup("key_value").append("key", "x").append("value", 1);
        attrs.addGroup("key_value").append("key", "y");
        return List.of(full, factory.newGroup().append("id", 1));
    }

    /** Every value of one field, as Group.getValueToString writes them (nested groups with their fields). */
    private static List<String> values(Group row, int field) {
        List<String> values = new ArrayList<>();
        for (int index = 0; index < row.getFieldRepetitionCount(field); index++) {
            values.add(row.getValueToString(field, index));
        }
        return values;
    }

    private static JsonNode prefix(JsonNode line, int fields) {
        ObjectNode first = Cli.JSON.createObjectNode();
        Iterator<String> names = line.fieldNames();
        for (int i = 0; i < fields && names.hasNext(); i++) {
            String name = names.next();
            first.set(name, line.get(name));
        }
        return first;
    }

    private static Cli generate(String... args) {
        List<String> all = new ArrayList<>(List.of("generate", "--model", LLAMA, "--max-tokens", "2", "--ignore-eos",
                "--threads", "2"));
        all.addAll(List.of(args));
        return Cli.run(all.toArray(String[]::new));
    }

    @Test
    void int96TimestampsReadAsSparkWritesThem() {
        NanoTime noon = new NanoTime(2_440_588 + 1, 12 * 3_600_000_000_000L);
        assertEquals("1970-01-02T12:00:00Z", ParquetJson.int96(noon.toBinary()).toString());
    }
}
