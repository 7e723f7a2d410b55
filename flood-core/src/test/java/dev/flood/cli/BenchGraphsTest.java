package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code flood bench} on workload W's first 256 prompts, 32 tokens each, on the Llama 3.2 1B shape with dummy
 * weights, with CUDA graphs (the default) and with {@code --cuda-graphs off}: both complete every request and
 * report which they ran with. Prints both reports' throughput and step counts; which is faster is the benchmark's
 * to say (the lead's bench lines), not a test's.
 */
@Tag("gpu")
class BenchGraphsTest {

    private static final int PROMPTS = 256;
    private static final int OUTPUT_TOKENS = 32;

    private static Path shape() {
        try {
            return Path.of(BenchGraphsTest.class.getResource("/shapes/llama-3.2-1b").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode bench(String graphs) {
        Cli run = Cli.run("bench", "--model", shape().toString(), "--load-format", "dummy", "--backend", "cuda",
                "--prompts", String.valueOf(PROMPTS), "--output-tokens", String.valueOf(OUTPUT_TOKENS), "--json",
                "--cuda-graphs", graphs);
        assertEquals(0, run.exitCode(), run.describe());
        JsonNode report = Cli.parse(run.out().strip());
        System.out.printf("cuda graphs %s: %.0f output tok/s, %d steps, mean running batch %.1f%n", graphs,
                report.get("output_tokens_per_second").asDouble(), report.get("steps").asLong(),
                report.get("mean_running_batch").asDouble());
        assertEquals(graphs, report.get("cuda_graphs").asText());
        assertEquals(PROMPTS, report.get("prompts").asInt());
        assertEquals(0, report.get("failed").asInt(), report.toString());
        assertEquals((long) PROMPTS * OUTPUT_TOKENS, report.get("generated_tokens").asLong(), report.toString());
        assertTrue(report.get("steps").asLong() >= OUTPUT_TOKENS, report.toString());
        return report;
    }

    @Test
    void workloadWRunsWithAndWithoutGraphs() {
        bench("on");
        bench("off");
    }
}
