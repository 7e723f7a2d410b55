package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exit codes of generate and score: 0 when every row ran or only some failed (their number said), 1 when every
 * row failed or the input cannot be read; the summary's throughput counts only tokens that were computed.
 */
class ExitCodesTest {

    static final String LLAMA = Fixtures.model("tiny-llama").toString();
    /** Over tiny-llama's context of 512 tokens: rejected with its prompt tokens counted in its result. */
    static final String TOO_LONG = "word ".repeat(600);

    @TempDir
    Path temp;

    @Test
    void everyRowFailedExitsOneAndStillWritesEveryRow() throws IOException {
        Path input = temp.resolve("bad.csv");
        Files.writeString(input, "prompt\nHello\n");
        Path output = temp.resolve("out.jsonl");
        Cli run = Cli.run("generate", "--model", LLAMA, "--input", input.toString(), "--input-format", "jsonl",
                "--output", output.toString(), "--threads", "2");
        assertEquals(1, run.exitCode(), run.describe());
        assertTrue(run.err().endsWith("flood generate: error: every row failed (2 of 2); the first: line 1: not valid"
                + " JSON: Unrecognized token 'prompt': was expecting (JSON String, Number, Array, Object or token 'null',"
                + " 'true' or 'false')\n"), run.err());
        assertEquals(2, Files.readAllLines(output, StandardCharsets.UTF_8).size());
    }

    @Test
    void someRowsFailedExitsZeroAndSaysHowMany() {
        // without sliding windows, a text past the model's context fails (with them, it would be scored)
        Cli run = Cli.run("score", "--model", LLAMA, "--text", "Hello", "--text", "", "--text", TOO_LONG, "--json",
                "--threads", "2", "--no-sliding-window");
        assertEquals(0, run.exitCode(), run.describe());
        assertTrue(run.err().contains("flood score: 2 of 3 rows failed (each has its error in the output); the first: "
                + "--text 2: empty text: nothing to score\n"), run.err());
        int tokens = run.jsonLines().get(0).get("tokens").asInt();
        assertTrue(run.err().contains("score: texts 3, failed 2, tokens " + tokens + ","),
                "only the scored text's tokens count: " + run.err());
    }

    @Test
    void throughputCountsOnlyTokensThatWereComputed() {
        Cli run = Cli.run("generate", "--model", LLAMA, "--prompt", "Hello", "--prompt", TOO_LONG, "--json",
                "--max-tokens", "3", "--ignore-eos", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertTrue(lines.get(1).get("prompt_tokens").asInt() > 512, "the rejected prompt's length is reported: "
                + lines.get(1));
        assertTrue(run.err().contains("generate: prompts 2, failed 1, prompt tokens "
                + lines.get(0).get("prompt_tokens").asInt() + ", generated tokens 3,"), run.err());
    }

    @Test
    void anInputWithoutRowsIsNotAFailure() throws IOException {
        Path input = temp.resolve("empty.jsonl");
        Files.writeString(input, "");
        Cli run = Cli.run("generate", "--model", LLAMA, "--input", input.toString(), "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        assertTrue(run.err().endsWith("flood generate: the input holds no rows\n"), run.err());
    }

    @Test
    void helpDocumentsTheExitCodes() {
        for (String command : List.of("generate", "score")) {
            Cli run = Cli.run(command, "--help");
            assertTrue(run.out().contains(Usage.EXIT_STATUS), run.out());
        }
        assertTrue(Cli.run("--help").out().contains(Usage.EXIT_STATUS));
        assertTrue(Cli.run("bench", "--help").out().contains("1  a request failed"));
    }
}
