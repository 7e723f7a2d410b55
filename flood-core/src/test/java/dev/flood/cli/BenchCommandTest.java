package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flood bench} on workload W, cut short, with real and with dummy weights. */
class BenchCommandTest {

    @TempDir
    Path temp;

    @Test
    void jsonReportOnTheFixtureCheckpoint() {
        Cli run = Cli.run("bench", "--model", Fixtures.model("tiny-llama").toString(), "--prompts", "8",
                "--output-tokens", "4", "--json", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        JsonNode report = Cli.parse(run.out().strip());
        assertEquals(8, report.get("prompts").asInt());
        assertEquals(0, report.get("failed").asInt());
        assertEquals(32, report.get("generated_tokens").asLong());
        assertEquals(firstLengths(8), report.get("prompt_tokens").asLong(), "no prompt of the first 8 needs clamping");
        assertEquals(0, report.get("clamped_prompts").asInt());
        assertEquals(0, report.get("engine_restarts").asLong(), "no step failed");
        assertTrue(report.get("output_tokens_per_second").asDouble() > 0, report.toString());
        assertTrue(report.get("total_tokens_per_second").asDouble() > report.get("output_tokens_per_second").asDouble());
        assertTrue(report.get("seconds").asDouble() > 0);
        JsonNode ttft = report.get("ttft_ms");
        assertTrue(ttft.get("p50").asDouble() > 0 && ttft.get("p50").asDouble() <= ttft.get("p99").asDouble(),
                report.toString());
        assertTrue(report.get("tpot_ms").get("p90").asDouble() > 0, report.toString());
        assertTrue(report.get("steps").asLong() >= 4, "at least one step per output token: " + report);
        assertTrue(report.get("mean_running_batch").asDouble() >= 1, report.toString());
        assertTrue(report.get("peak_cache_use").asDouble() > 0 && report.get("peak_cache_use").asDouble() <= 1,
                report.toString());
        assertFalse(run.err().contains("clamped"), run.err());
        assertEquals(2, report.get("steps_in_flight").asInt(), "one stage plus one being prepared");
        assertEquals("off", report.get("cuda_graphs").asText(), "the CPU backend has no graphs");
        assertEquals(1, report.get("stages").size());
        JsonNode stage = report.get("stages").get(0);
        assertEquals("cpu", stage.get("device").asText());
        assertEquals("0-2", stage.get("layers").asText());
        assertTrue(stage.get("steps").asLong() > 0 && stage.get("step_seconds").asDouble() > 0, stage.toString());
        assertTrue(stage.get("idle_seconds").asDouble() >= 0, stage.toString());
        assertEquals(stage.get("idle_share").asDouble(), report.get("idle_share").asDouble());
    }

    @Test
    void aJsonSchemaConstrainsEveryRequestAndAShapeWithoutTokenizerGetsASyntheticOne() throws IOException {
        Path model = Files.createDirectories(temp.resolve("shape"));
        Files.copy(Fixtures.model("tiny-llama").resolve("config.json"), model.resolve("config.json"));
        Path schema = temp.resolve("schema.json");
        Files.writeString(schema, "{\"type\": \"array\", \"items\": {\"type\": \"integer\"}, \"minItems\": 50}");
        Cli run = Cli.run("bench", "--model", model.toString(), "--load-format", "dummy", "--prompts", "4",
                "--output-tokens", "5", "--json-schema", schema.toString(), "--json", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        assertTrue(run.err().contains("has no tokenizer.json; masks use a synthetic byte-level vocabulary of 1024"
                + " tokens"), run.err());
        JsonNode report = Cli.parse(run.out().strip());
        assertEquals(20, report.get("generated_tokens").asLong(), "50 items do not fit in 5 tokens: all cut there");
        assertEquals(0, report.get("failed").asInt());
        assertEquals(0, report.get("finished_complete").asInt());
        assertEquals("json_schema " + schema, report.get("response_format").asText());
        Files.writeString(schema, "{\"type\": \"array\", \"uniqueItems\": true}");
        Cli refused = Cli.run("bench", "--model", model.toString(), "--load-format", "dummy", "--prompts", "2",
                "--output-tokens", "3", "--json-schema", schema.toString(), "--threads", "2");
        assertEquals(1, refused.exitCode(), refused.describe());
        assertTrue(refused.err().contains("the warm-up failed: JSON schema at #/uniqueItems asks for distinct items"),
                refused.err());
    }

    @Test
    void twoStagesReportTheirLayersAndIdleTimeEach() {
        Cli run = Cli.run("bench", "--model", Fixtures.model("tiny-llama").toString(), "--prompts", "4",
                "--output-tokens", "3", "--stages", "2", "--stage-layers", "1,2", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        assertTrue(run.out().contains("steps in flight         3"), run.out());
        assertTrue(run.out().contains("  stage 0 idle"), run.out());
        assertTrue(run.out().contains("cpu, layers 0-0)"), run.out());
        assertTrue(run.out().contains("cpu, layers 1-2)"), run.out());
    }

    @Test
    void pipelineSettingsThatDisagreeAreAUsageError() {
        Cli run = Cli.run("bench", "--model", Fixtures.model("tiny-llama").toString(), "--backend", "cuda",
                "--devices", "0,1", "--stages", "3");
        assertEquals(2, run.exitCode(), run.describe());
        assertTrue(run.err().contains("stages 3 does not match devices [0, 1]"), run.err());
        Cli badList = Cli.run("bench", "--model", Fixtures.model("tiny-llama").toString(), "--devices", "0,x");
        assertEquals(2, badList.exitCode(), badList.describe());
        assertTrue(badList.err().contains("--devices expects a comma-separated list of integers, got 'x'"), badList.err());
    }

    @Test
    void dummyWeightsNeedOnlyConfigJsonAndLongPromptsAreClamped() throws IOException {
        Path model = Files.createDirectories(temp.resolve("config-only"));
        Files.copy(Fixtures.model("tiny-qwen3").resolve("config.json"), model.resolve("config.json"));
        int context = 512;
        int outputTokens = 300;
        Cli run = Cli.run("bench", "--model", model.toString(), "--load-format", "dummy", "--prompts", "4",
                "--output-tokens", String.valueOf(outputTokens), "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        // workload W's first lengths are 301, 145, 87, 491: two exceed 512 - 300 = 212
        int limit = context - outputTokens;
        assertTrue(run.err().contains("bench: 2 of 4 prompts clamped to " + limit
                + " tokens (the model's context of 512 minus 300 output tokens)"), run.err());
        assertTrue(run.out().contains("Workload W: 4 prompts x 300 output tokens"), run.out());
        assertTrue(run.out().contains("dummy weights"), run.out());
        assertTrue(run.out().contains(String.format("  %-24s%d%n", "prompt tokens", limit + 145 + 87 + limit)), run.out());
        assertTrue(run.out().contains(String.format("  %-24s%d%n", "generated tokens", 4 * outputTokens)), run.out());
        assertTrue(run.out().contains("output tokens/s"), run.out());
    }

    @Test
    void dummyWeightsRunAMixtureOfExpertsShape() throws IOException {
        Path model = Files.createDirectories(temp.resolve("moe-config-only"));
        Files.copy(Fixtures.model("tiny-qwen3-moe").resolve("config.json"), model.resolve("config.json"));
        Cli run = Cli.run("bench", "--model", model.toString(), "--load-format", "dummy", "--prompts", "3",
                "--output-tokens", "5", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        assertTrue(run.out().contains("dummy weights"), run.out());
        assertTrue(run.out().contains(String.format("  %-24s%d%n", "generated tokens", 3 * 5)), run.out());
    }

    @Test
    void outputLongerThanTheContextIsAUsageError() throws IOException {
        Path model = Files.createDirectories(temp.resolve("config-only"));
        Files.copy(Fixtures.model("tiny-llama").resolve("config.json"), model.resolve("config.json"));
        Cli run = Cli.run("bench", "--model", model.toString(), "--load-format", "dummy", "--output-tokens", "512",
                "--threads", "2");
        assertEquals(2, run.exitCode(), run.describe());
        assertTrue(run.err().contains("--output-tokens 512 leaves no room for a prompt in the model's context of 512 tokens"),
                run.err());
    }

    @Test
    void wSharedReadsTheSystemPromptFromTheCacheAndOffComputesIt() throws IOException {
        Path model = Files.createDirectories(temp.resolve("long-context"));
        String config = Files.readString(Fixtures.model("tiny-qwen3").resolve("config.json"));
        Files.writeString(model.resolve("config.json"), config.replace("\"max_position_embeddings\": 512",
                "\"max_position_embeddings\": 2048"));
        long promptTokens = 3 * 1000 + firstLengths(3);
        for (String caching : new String[] {"on", "off"}) {
            List<String> args = new ArrayList<>(List.of("bench", "--model", model.toString(), "--load-format",
                    "dummy", "--workload", "W-shared", "--prompts", "3", "--output-tokens", "2", "--json",
                    "--threads", "2"));
            if (caching.equals("off")) {
                args.add("--no-prefix-caching");
            }
            Cli run = Cli.run(args.toArray(String[]::new));
            assertEquals(0, run.exitCode(), run.describe());
            JsonNode report = Cli.parse(run.out().strip());
            assertEquals("W-shared", report.get("workload").asText());
            assertEquals(caching, report.get("prefix_caching").asText());
            assertEquals(promptTokens, report.get("prompt_tokens").asLong());
            // the first prompt computes the system prompt; the others wait for its 62 full blocks and read them
            long fromCache = caching.equals("on") ? 2 * 992 : 0;
            assertEquals(fromCache, report.get("prompt_tokens_from_cache").asLong(), report.toString());
            assertEquals(promptTokens - fromCache, report.get("prompt_tokens_computed").asLong(), report.toString());
            assertEquals(caching.equals("on"), report.get("cached_tokens").asLong() >= 992, report.toString());
        }
    }

    @Test
    void wSharedNeedsRoomForItsSystemPrompt() {
        Cli run = Cli.run("bench", "--model", Fixtures.model("tiny-llama").toString(), "--workload", "W-shared",
                "--threads", "2");
        assertEquals(2, run.exitCode(), run.describe());
        assertTrue(run.err().contains("workload W-shared's system prompt of 1000 tokens and --output-tokens 256 leave"
                + " no room for a prompt in the model's context of 512 tokens"), run.err());
    }

    private static long firstLengths(int n) {
        return Workload.w().inputLengths().subList(0, n).stream().mapToLong(Integer::longValue).sum();
    }

    @Test
    void fp8AndTheProfileAreForTheGpu() {
        Cli fp8 = Cli.run("bench", "--model", Fixtures.model("tiny-llama").toString(), "--quantization", "fp8");
        assertEquals(2, fp8.exitCode(), fp8.describe());
        assertTrue(fp8.err().contains("quantization fp8 runs FP8 matrix products on the GPU; use backend 'cuda'"),
                fp8.err());
        Cli profile = Cli.run("bench", "--model", Fixtures.model("tiny-llama").toString(), "--profile");
        assertEquals(1, profile.exitCode(), profile.describe());
        assertTrue(profile.err().contains("--profile times GPU steps with CUDA events; use it with --backend cuda"),
                profile.err());
        Cli bad = Cli.run("bench", "--model", Fixtures.model("tiny-llama").toString(), "--quantization", "int4");
        assertEquals(2, bad.exitCode(), bad.describe());
        Cli graphs = Cli.run("bench", "--model", Fixtures.model("tiny-llama").toString(), "--cuda-graphs", "maybe");
        assertEquals(2, graphs.exitCode(), graphs.describe());
        assertTrue(graphs.err().contains("cuda-graphs"), graphs.err());
    }
}
