package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.testing.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad command lines exit with code 2 and a message naming the option; help lists every option. */
class UsageTest {

    static final String LLAMA = Fixtures.model("tiny-llama").toString();

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "generate --prompt x                                         | missing --model DIR",
        "score --text x                                              | missing --model DIR",
        "bench --prompts 2                                           | missing --model DIR",
        "generate --model M --prompt x --frobnicate                  | unknown option --frobnicate",
        "generate --model M --prompt x --max-tokens abc              | --max-tokens expects an integer, got 'abc'",
        "generate --model M --prompt x --temperature warm            | --temperature expects a number, got 'warm'",
        "generate --model M --prompt x --seed 1.5                    | --seed expects an integer, got '1.5'",
        "generate --model M --prompt x --threads two                 | --threads expects an integer, got 'two'",
        "bench --model M --prompts many                              | --prompts expects an integer, got 'many'",
        "generate --model M --prompt x --top-p 1.5                   | invalid --top-p: top_p must be in (0, 1], got 1.5",
        "generate --model M --prompt x --logprobs 21                 | invalid --logprobs: logprobs must be in [0, 20], got 21",
        "generate --model M --prompt x --stop-token-id -3            | invalid --stop-token-id: stop token ids must be >= 0, got -3",
        "generate --model M --prompt x --threads 0                   | --threads must be at least 1, got 0",
        "generate --model M --prompt x --load-format gguf            | --load-format must be one of safetensors, dummy; got 'gguf'",
        "generate --model M --prompt x --backend tpu                 | --backend must be one of cpu, cuda; got 'tpu'",
        "generate --model M --prompt x --max-tokens                  | --max-tokens needs a value: --max-tokens N",
        "generate --model --prompt x                                 | --model needs a value: --model DIR",
        "generate --model M --prompt x --seed 1 --seed 2             | --seed is given more than once",
        "generate --model M --prompt x --regex a --choice b          | give at most one of --json-schema, --regex and --choice",
        "generate --model M --prompt x --json=yes                    | --json is a flag and takes no value",
        "generate --model M hello                                    | unexpected argument 'hello' (options start with --)",
        "generate --model M                                          | give at least one --prompt TEXT or an --input PATH",
        "score --model M                                             | give at least one --text TEXT or an --input PATH",
        "generate --model M --prompt x --input p.jsonl               | give --prompt TEXT or --input PATH, not both",
        "generate --model M --prompt x --input-format csv            | --input-format is for --input",
        "generate --model M --input p.jsonl --input-format xml       | --input-format must be one of jsonl, parquet, csv, tsv; got 'xml'",
        "generate --model M --prompt x --output out.csv              | cannot tell the format of --output out.csv from its name",
        "generate --model M --prompt x --output o.parquet --json     | --json writes JSON Lines, but --output o.parquet is Parquet",
        "bench --model M --prompts 1025                              | --prompts must be at most 1024",
        "bench --model M --output-tokens 0                           | --output-tokens must be at least 1, got 0",
        "estimate --model M                                          | give at least one --prompt TEXT or an --input FILE",
        "estimate --model M --prompt x                               | give --calibration FILE, the calibrations flood bench saved",
        "estimate --model M --prompt x --calibration c --sample 1    | --sample must be at least 2, got 1",
        "score --model M --text x --max-length 8 --stride 8          | --stride 8 must be below --max-length 8",
        "score --model M --text x --max-length 1                     | --max-length must be at least 2, got 1",
        "score --model M --workload Z                                | --workload: unknown scoring workload 'Z' (known: S, S-long)",
        "bench --model M --workload S                                | --workload: unknown generation workload 'S' (known: W, W-shared)",
        "score --model M --workload S --text x                       | --workload scores its own texts",
        "score --model M --workload S-long --texts 257               | --texts must be at most 256",
    })
    void badCommandLineExitsWithTwoAndNamesTheOption(String line, String message) {
        Cli run = Cli.run(line.trim().replace(" M ", " " + LLAMA + " ").replaceAll(" M$", " " + LLAMA).split(" +"));
        assertEquals(2, run.exitCode(), run.describe());
        assertTrue(run.err().contains(message), "expected '" + message + "' in: " + run.err());
        assertTrue(run.err().contains("Run 'flood " + line.trim().split(" ")[0] + " --help' for usage."), run.err());
        assertEquals("", run.out());
    }

    @Test
    void unknownOrMissingCommand() {
        Cli unknown = Cli.run("train", "--model", LLAMA);
        assertEquals(2, unknown.exitCode());
        assertEquals("flood: unknown command 'train' (commands: generate, score, bench, estimate)\n", unknown.err());
        Cli none = Cli.run();
        assertEquals(2, none.exitCode());
        assertTrue(none.err().startsWith("Usage: flood COMMAND [options]"), none.err());
    }

    @Test
    void mainHelpListsTheCommands() {
        Cli run = Cli.run("--help");
        assertEquals(0, run.exitCode());
        for (String command : List.of("generate", "score", "bench", "estimate")) {
            assertTrue(run.out().contains("\n  " + command + " "), run.out());
        }
    }

    @Test
    void commandHelpListsEveryOption() {
        for (Command command : List.of(new GenerateCommand(), new ScoreCommand(), new BenchCommand(),
                new EstimateCommand())) {
            Cli run = Cli.run(command.name(), "--help");
            assertEquals(0, run.exitCode(), run.describe());
            assertTrue(run.out().startsWith("Usage: flood " + command.name() + " --model DIR"), run.out());
            for (Option option : command.options()) {
                assertTrue(run.out().contains("\n  " + option.synopsis() + " "), option.synopsis() + " in " + run.out());
            }
        }
    }

    @Test
    void helpWinsOverOtherwiseBadArguments() {
        Cli run = Cli.run("generate", "--max-tokens", "abc", "--help");
        assertEquals(0, run.exitCode(), run.describe());
        assertTrue(run.out().contains("--max-tokens N"));
    }

    @Test
    void unreadableModelOrInputIsAFailureNotAUsageError() {
        Cli model = Cli.run("generate", "--model", "/no/such/model", "--prompt", "x");
        assertEquals(1, model.exitCode(), model.describe());
        assertTrue(model.err().startsWith("flood generate: error: ") && model.err().contains("config.json"), model.err());
        Cli input = Cli.run("score", "--model", LLAMA, "--input", "/no/such/texts.jsonl");
        assertEquals(1, input.exitCode(), input.describe());
        assertEquals("flood score: error: /no/such/texts.jsonl: input not found\n", input.err());
        Cli output = Cli.run("score", "--model", LLAMA, "--text", "x", "--output", "/no/such/dir/scores.jsonl");
        assertEquals(1, output.exitCode(), output.describe());
        assertEquals("flood score: error: /no/such/dir/scores.jsonl: no such file or directory\n", output.err());
    }
}
