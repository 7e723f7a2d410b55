package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader is picked by extension or {@code --input-format}; CSV and TSV with a header; unknown formats refused. */
class InputFormatsTest {

    static final String LLAMA = Fixtures.model("tiny-llama").toString();

    @TempDir
    Path temp;

    @Test
    void csvWithAHeaderQuotedValuesAndAByteOrderMark() throws IOException {
        Path input = temp.resolve("prompts.csv");
        Files.writeString(input, "\uFEFFid,prompt,note\r\n"
                + "1,Hello,plain\r\n"
                + "2,\"Hello, world\",\"a \"\"quoted\"\" note\"\r\n"
                + "\r\n"
                + "3,\"two\nlines\",\r\n"
                + "4,too,many,values\r\n"
                + "5,Hi,last\r\n", StandardCharsets.UTF_8);
        Cli run = generate("--input", input.toString(), "--json");
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertEquals(5, lines.size(), "the blank line is skipped");
        assertEquals(Cli.parse("{\"id\": \"1\", \"prompt\": \"Hello\", \"note\": \"plain\"}"), first(lines.get(0), 3),
                "the byte order mark is not part of the first column's name");
        assertEquals("Hello, world", lines.get(1).get("prompt").asText());
        assertEquals("a \"quoted\" note", lines.get(1).get("note").asText());
        assertEquals("two\nlines", lines.get(2).get("prompt").asText());
        assertEquals("", lines.get(2).get("note").asText());
        assertEquals("row 4: has 4 values, the header has 3", lines.get(3).get("error").asText());
        assertFalse(lines.get(3).has("id"), "a record of the wrong width has no columns");
        assertEquals("Hi", lines.get(4).get("prompt").asText());
        assertTrue(run.err().contains("flood generate: 1 of 5 rows failed"), run.err());
    }

    @Test
    void tsvAndGzipAreToldByTheirExtensions() throws IOException {
        Path tsv = temp.resolve("texts.tsv");
        Files.writeString(tsv, "text\tsource\nHello, world\tweb\n");
        Cli scored = Cli.run("score", "--model", LLAMA, "--input", tsv.toString(), "--json", "--threads", "2");
        assertEquals(0, scored.exitCode(), scored.describe());
        assertEquals("web", scored.jsonLines().get(0).get("source").asText());
        assertEquals("Hello, world", scored.jsonLines().get(0).get("text").asText());

        Path gzip = temp.resolve("prompts.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzip))) {
            out.write("{\"prompt\": \"Hello\"}\n{\"prompt\": \"Hi\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        Cli generated = generate("--input", gzip.toString(), "--json");
        assertEquals(0, generated.exitCode(), generated.describe());
        assertEquals(2, generated.jsonLines().size());
    }

    @Test
    void anUnknownExtensionIsRefusedUpFrontAndInputFormatOverridesIt() throws IOException {
        Path input = temp.resolve("prompts.txt");
        Files.writeString(input, "prompt\nHello\n");
        Cli refused = generate("--input", input.toString());
        assertEquals(2, refused.exitCode(), refused.describe());
        assertEquals("flood generate: cannot tell the format of " + input + " from its name (known: .jsonl, .ndjson,"
                + " .json, .parquet, .csv, .tsv, and .gz of the text formats); give --input-format jsonl, parquet, csv,"
                + " tsv\nRun 'flood generate --help' for usage.\n", refused.err());
        Cli csv = generate("--input", input.toString(), "--input-format", "CSV", "--json");
        assertEquals(0, csv.exitCode(), csv.describe());
        assertEquals("Hello", csv.jsonLines().get(0).get("prompt").asText());
    }

    @Test
    void aCsvWithoutAUsableHeaderIsRefused() throws IOException {
        Path empty = temp.resolve("empty.csv");
        Files.writeString(empty, "");
        Cli none = generate("--input", empty.toString());
        assertEquals(1, none.exitCode(), none.describe());
        assertEquals("flood generate: error: " + empty + " is empty: a csv input starts with a header line naming its"
                + " columns\n", none.err());

        Path twice = temp.resolve("twice.csv");
        Files.writeString(twice, "prompt,prompt\na,b\n");
        Cli duplicate = generate("--input", twice.toString());
        assertEquals(1, duplicate.exitCode(), duplicate.describe());
        assertEquals("flood generate: error: " + twice + ": the header line names two columns 'prompt' (columns 1 and"
                + " 2); each column needs a name of its own\n", duplicate.err());

        Path unnamed = temp.resolve("unnamed.csv");
        Files.writeString(unnamed, "id,,prompt\n1,x,Hello\n");
        Cli noName = generate("--input", unnamed.toString());
        assertEquals(1, noName.exitCode(), noName.describe());
        assertEquals("flood generate: error: " + unnamed + ": column 2 of the header line has no name (header:"
                + " id,,prompt)\n", noName.err());

        Path noColumn = temp.resolve("questions.csv");
        Files.writeString(noColumn, "id,question\n1,Why?\n");
        Cli missing = generate("--input", noColumn.toString());
        assertEquals(1, missing.exitCode(), missing.describe());
        assertEquals("flood generate: error: " + noColumn + " has no column 'prompt' (columns: id, question)\n",
                missing.err());
    }

    @Test
    void brokenQuotingNamesTheLineAndRunsNoRow() throws IOException {
        Path unclosed = temp.resolve("unclosed.csv");
        Files.writeString(unclosed, "id,prompt\n1,Hello\n2,\"Hello, world\n3,Hi\n");
        Cli open = generate("--input", unclosed.toString(), "--json");
        assertEquals(1, open.exitCode(), open.describe());
        assertEquals("", open.out(), "no row ran, so none is lost half-way");
        assertEquals("flood generate: error: " + unclosed + ": the quoted value that starts on line 3 is never closed,"
                + " so the rows cannot be told apart; no row was run\n", open.err());

        Path strayQuote = temp.resolve("stray.csv");
        Files.writeString(strayQuote, "id,prompt\n1,Hello\n2,\"Hello\" world\n");
        Cli stray = generate("--input", strayQuote.toString(), "--json");
        assertEquals(1, stray.exitCode(), stray.describe());
        assertEquals("flood generate: error: " + strayQuote + ": line 3 has text after the closing quote of a value (a"
                + " quote inside a quoted value is written twice: \"\"), so the rows cannot be told apart; no row was"
                + " run\n", stray.err());
    }

    @Test
    void textThatIsNotUtf8IsNamed() throws IOException {
        Path input = temp.resolve("latin1.jsonl");
        Files.write(input, "{\"prompt\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1));
        Cli run = generate("--input", input.toString());
        assertEquals(1, run.exitCode(), run.describe());
        assertEquals("flood generate: error: " + input + " is not UTF-8 text\n", run.err());
    }

    private static JsonNode first(JsonNode line, int fields) {
        var names = line.fieldNames();
        var object = Cli.JSON.createObjectNode();
        for (int i = 0; i < fields; i++) {
            String name = names.next();
            object.set(name, line.get(name));
        }
        return object;
    }

    private static Cli generate(String... args) {
        List<String> all = new ArrayList<>(List.of("generate", "--model", LLAMA, "--max-tokens", "2", "--threads", "2"));
        all.addAll(List.of(args));
        return Cli.run(all.toArray(String[]::new));
    }
}
