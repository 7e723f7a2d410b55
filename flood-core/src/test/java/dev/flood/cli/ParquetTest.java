package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parquet in and out: a file written here goes through {@code generate} and {@code score} and is read back. */
class ParquetTest {

    static final String LLAMA = Fixtures.model("tiny-llama").toString();

    @TempDir
    Path temp;

    @Test
    void generateReadsAStringColumnAndWritesOneRowPerInput() throws IOException {
        List<Fixtures.Case> cases = Fixtures.cases("tiny-llama");
        List<String> prompts = new ArrayList<>();
        cases.forEach(c -> prompts.add(c.prompt()));
        prompts.add(2, null);
        Path input = writeQuestions(prompts);
        Path output = temp.resolve("answers.parquet");
        Cli run = Cli.run("generate", "--model", LLAMA, "--input", input.toString(), "--prompt-column", "question",
                "--output", output.toString(), "--max-tokens", "24", "--ignore-eos", "--logprobs", "2", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        assertEquals("", run.out());

        List<Group> rows = read(output);
        assertEquals(prompts.size(), rows.size());
        Group failed = rows.get(2);
        assertEquals("error", failed.getString("finish_reason", 0));
        assertEquals("row 3: 'question' is null", failed.getString("error", 0));
        assertEquals(0, failed.getFieldRepetitionCount("question"));
        assertEquals(2, failed.getInteger("id", 0), "the input's columns come first, with their types");
        for (int i = 0; i < cases.size(); i++) {
            Fixtures.Case c = cases.get(i);
            Group g = rows.get(i < 2 ? i : i + 1);
            assertEquals(c.prompt(), g.getString("question", 0));
            assertEquals(i < 2 ? i : i + 1, g.getInteger("id", 0));
            assertEquals(c.greedyText(), g.getString("text", 0));
            int[] ids = listInts(g.getGroup("token_ids", 0));
            assertArrayEquals(c.greedy24(), ids);
            assertEquals("length", g.getString("finish_reason", 0));
            assertEquals(c.inputIds().length, g.getInteger("prompt_tokens", 0));
            assertEquals(24, g.getInteger("completion_tokens", 0));
            assertEquals(0, g.getFieldRepetitionCount("error"));
            Group logprobs = g.getGroup("logprobs", 0);
            assertEquals(24, logprobs.getFieldRepetitionCount("list"));
            for (int t = 0; t < 24; t++) {
                Group entry = logprobs.getGroup("list", t).getGroup("element", 0);
                assertEquals(ids[t], entry.getInteger("id", 0));
                assertTrue(entry.getDouble("logprob", 0) < 0);
                Group top = entry.getGroup("top", 0);
                assertEquals(2, top.getFieldRepetitionCount("list"));
                assertEquals(ids[t], top.getGroup("list", 0).getGroup("element", 0).getInteger("id", 0),
                        "greedy picks the most likely token");
            }
        }
    }

    @Test
    void scoreWritesLogprobsToParquet() throws IOException {
        Fixtures.Case c = Fixtures.cases("tiny-qwen2").get(0);
        Path output = temp.resolve("scores.parquet");
        Cli run = Cli.run("score", "--model", Fixtures.model("tiny-qwen2").toString(), "--text", c.prompt(),
                "--text", "", "--output", output.toString(), "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        assertTrue(run.err().contains("flood score: 1 of 2 rows failed"), run.err());
        List<Group> rows = read(output);
        assertEquals(2, rows.size());
        Group g = rows.get(0);
        assertEquals(c.inputIds().length, g.getInteger("tokens", 0));
        Group list = g.getGroup("token_logprobs", 0);
        double[] logprobs = new double[list.getFieldRepetitionCount("list")];
        for (int i = 0; i < logprobs.length; i++) {
            logprobs[i] = list.getGroup("list", i).getDouble("element", 0);
        }
        // 1e-4 relative against transformers, as in ScoreCommandTest
        assertTrue(Fixtures.relativeError(logprobs, c.tokenLogprobs()) < 1e-4);
        assertEquals(c.perplexity(), g.getDouble("perplexity", 0), 1e-4 * c.perplexity());
        assertEquals(c.prompt(), g.getString("text", 0));
        Group empty = rows.get(1);
        assertEquals("", empty.getString("text", 0));
        assertEquals("--text 2: empty text: nothing to score", empty.getString("error", 0));
        assertEquals(0, empty.getFieldRepetitionCount("perplexity"), "no statistics for an empty text");
    }

    @Test
    void missingColumnNamesTheColumnsThereAre() throws IOException {
        Path input = writeQuestions(List.of("Hello"));
        Cli run = Cli.run("generate", "--model", LLAMA, "--input", input.toString(), "--threads", "2");
        assertEquals(1, run.exitCode(), run.describe());
        assertTrue(run.err().contains(input + " has no column 'prompt' (columns: question, id)"), run.err());
    }

    @Test
    void aFileThatIsNotParquetIsNamed() throws IOException {
        Path input = temp.resolve("prompts.parquet");
        Files.writeString(input, "{\"prompt\": \"Hello\"}\n");
        Cli run = Cli.run("generate", "--model", LLAMA, "--input", input.toString(), "--threads", "2");
        assertEquals(1, run.exitCode(), run.describe());
        assertTrue(run.err().startsWith("flood generate: error: cannot read Parquet file " + input + ": "), run.err());
        assertTrue(run.err().contains("is not a Parquet file"), run.err());
    }

    /** A file with an optional string column {@code question} and an int column {@code id}. */
    private Path writeQuestions(List<String> questions) throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType(
                "message questions { optional binary question (STRING); required int32 id; }");
        SimpleGroupFactory factory = new SimpleGroupFactory(schema);
        List<Group> rows = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            Group row = factory.newGroup().append("id", i);
            if (questions.get(i) != null) {
                row.append("question", questions.get(i));
            }
            rows.add(row);
        }
        Path file = temp.resolve("questions.parquet");
        ParquetFiles.write(file, schema, rows);
        return file;
    }

    private static List<Group> read(Path file) throws IOException {
        return ParquetFiles.read(file);
    }

    private static int[] listInts(Group list) {
        int[] values = new int[list.getFieldRepetitionCount("list")];
        for (int i = 0; i < values.length; i++) {
            values[i] = list.getGroup("list", i).getInteger("element", 0);
        }
        return values;
    }
}
