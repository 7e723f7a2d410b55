package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.estimate.Calibration;
import dev.flood.estimate.CalibrationStore;
import dev.flood.testing.Fixtures;
import dev.flood.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flood bench --calibration} files a calibration for the device and model shape, and {@code flood estimate}
 * reads it: exact prompt tokens, or a sample's with an interval, the generated tokens, and what it says when no
 * calibration fits. The figures' accuracy is {@link dev.flood.estimate.EstimateAccuracyTest}'s.
 */
class EstimateCommandTest {

    @TempDir
    static Path temp;
    private static Path calibration;
    private static Path input;
    private static final String MODEL = Fixtures.model("tiny-llama").toString();
    private static final List<String> PROMPTS = new ArrayList<>();

    @BeforeAll
    static void calibrateAndWriteAnInput() throws IOException {
        calibration = temp.resolve("home/.flood/calibration.json");
        Cli bench = Cli.run("bench", "--model", MODEL, "--prompts", "8", "--output-tokens", "8", "--threads", "2",
                "--json", "--calibration", calibration.toString());
        assertEquals(0, bench.exitCode(), bench.describe());
        JsonNode saved = Cli.parse(bench.out().strip()).get("calibration");
        assertEquals("cpu: 2 threads, 1 stage", saved.get("device").asText());
        assertTrue(bench.err().contains("bench: calibrated flood estimate for cpu: 2 threads, 1 stage and "
                + "LlamaForCausalLM L3 H64 I176 A4/2x16 V1024: "), bench.err());
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            String prompt = "Row " + i + ": " + "the quick brown fox ".repeat(1 + i % 7);
            PROMPTS.add(prompt);
            lines.append(Cli.JSON.createObjectNode().put("prompt", prompt)).append('\n');
        }
        lines.append("{\"prompt\": 17}\n");
        input = temp.resolve("prompts.jsonl");
        Files.writeString(input, lines);
    }

    @Test
    void benchFilesACalibrationForThisDeviceAndShape() {
        List<Calibration> all = new CalibrationStore(calibration).all();
        assertEquals(1, all.size());
        Calibration c = all.get(0);
        assertEquals("LlamaForCausalLM L3 H64 I176 A4/2x16 V1024", c.modelShape());
        assertEquals("safetensors", c.loadFormat());
        assertTrue(c.openSeconds() > 0 && c.cacheTokens() > 0, c.toString());
        assertTrue(c.model().secondsPerStep() + c.model().secondsPerGigaMac() > 0, c.toString());
    }

    @Test
    void everyRowCountedGivesExactTokens() throws IOException {
        Cli run = Cli.run("estimate", "--model", MODEL, "--threads", "2", "--input", input.toString(),
                "--max-tokens", "16", "--json", "--calibration", calibration.toString());
        assertEquals(0, run.exitCode(), run.describe());
        JsonNode r = Cli.parse(run.out().strip());
        assertEquals(40, r.get("rows").asLong());
        assertEquals(1, r.get("unreadable_rows").asLong());
        assertEquals(40, r.get("runnable_rows").asLong());
        long promptTokens = 0;
        try (Tokenizer tokenizer = Tokenizer.load(Fixtures.model("tiny-llama"))) {
            for (String prompt : PROMPTS) {
                promptTokens += tokenizer.encode(prompt).length;
            }
        }
        JsonNode tokens = r.get("prompt_tokens");
        assertArrayEquals(new double[] {promptTokens, promptTokens, promptTokens}, new double[] {
                tokens.get("value").asDouble(), tokens.get("low").asDouble(), tokens.get("high").asDouble()});
        assertEquals(40 * 16, r.get("generated_tokens").asLong());
        assertEquals("max-tokens", r.get("output_tokens_from").asText());
        assertTrue(r.get("steps").asLong() >= 16, r.toString());
        assertTrue(r.get("compute_seconds").get("value").asDouble() > 0, r.toString());
        assertEquals(r.get("compute_seconds").get("value").asDouble() + r.get("open_seconds").asDouble(),
                r.get("wall_seconds").get("value").asDouble(), 1e-9);
        assertEquals(0, r.get("gpus").asInt());
        assertEquals(0, r.get("gpu_hours").get("value").asDouble());
    }

    @Test
    void aSampleGivesAnIntervalAndTheTableSaysSo() {
        Cli run = Cli.run("estimate", "--model", MODEL, "--threads", "2", "--input", input.toString(),
                "--sample", "10", "--expected-output-tokens", "5", "--calibration", calibration.toString());
        assertEquals(0, run.exitCode(), run.describe());
        assertTrue(run.out().startsWith("Estimate: 40 rows on cpu: 2 threads, 1 stage"), run.out());
        assertTrue(run.out().contains("from 10 sampled rows)"), run.out());
        assertTrue(run.out().contains("  generated tokens      200 (--expected-output-tokens per row)"), run.out());
        assertTrue(run.out().contains("  rows that would fail  1 unreadable, 0 too long"), run.out());
        assertTrue(run.out().contains("  GPU-hours             none (CPU backend)"), run.out());
        assertTrue(run.out().contains("compute time") && run.out().contains("(95%: "), run.out());
    }

    @Test
    void withoutACalibrationItSaysWhichCommandCalibrates() {
        Cli run = Cli.run("estimate", "--model", MODEL, "--threads", "3", "--prompt", "Hello",
                "--calibration", calibration.toString());
        assertEquals(1, run.exitCode(), run.describe());
        assertTrue(run.err().startsWith("flood estimate: no calibration for cpu: 3 threads, 1 stage and model shape "
                + "LlamaForCausalLM L3 H64 I176 A4/2x16 V1024 in " + calibration), run.err());
        assertTrue(run.err().contains("\n  ./flood bench --model " + MODEL + " --threads 3\n"), run.err());
    }

    @Test
    void theLauncherPointsBenchAndEstimateAtTheHomeFolder() {
        String[] args = Main.withDefaultCalibration(new String[] {"estimate", "--model", "m"}, "/home/u");
        assertArrayEquals(new String[] {"estimate", "--calibration", Path.of("/home/u", ".flood", "calibration.json")
                .toString(), "--model", "m"}, args);
        String[] given = {"bench", "--calibration=x.json"};
        assertArrayEquals(given, Main.withDefaultCalibration(given, "/home/u"));
        String[] generate = {"generate", "--prompt", "x"};
        assertArrayEquals(generate, Main.withDefaultCalibration(generate, "/home/u"));
    }
}
