package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.cli.Main;
import dev.flood.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code flood bench --profile} on the GPU with a reference checkpoint: both steps are timed, every class of op
 * is there with a positive floor where it ran, and the classes plus the gaps make the step. Timings themselves
 * are not asserted (no test depends on speed); the ceilings must be plausible for any CUDA GPU Flood runs on.
 */
@Tag("gpu")
class StepProfileTest {

    @Test
    void profilesADecodeAndAMixedStep() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.run(new String[] {"bench", "--model", Fixtures.model("tiny-llama").toString(), "--backend",
                "cuda", "--profile", "--json", "--max-running", "32", "--max-batch-tokens", "256", "--output-tokens",
                "16"}, o, e);
        }
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        JsonNode report = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        System.out.println(report.toPrettyString());
        JsonNode ceilings = report.get("ceilings");
        assertTrue(ceilings.get("copy_gb_per_s").asDouble() > 100, "copy bandwidth " + ceilings);
        assertTrue(ceilings.get("bf16_gemm_tflop_per_s").asDouble() > 10, "GEMM rate " + ceilings);
        assertEquals(2, report.get("steps").size());
        for (JsonNode step : report.get("steps")) {
            String name = step.get("name").asText();
            assertEquals(32, step.get("decodes").asInt(), name);
            assertEquals(name.equals("decode") ? 32 : 256, step.get("tokens").asInt(), name);
            double inside = 0;
            for (JsonNode row : step.get("classes")) {
                inside += row.get("ms").asDouble();
                if (row.get("ops").asInt() > 0) {
                    assertTrue(row.get("floor_ms").asDouble() > 0, name + " " + row);
                }
            }
            assertEquals(step.get("step_ms").asDouble(), inside + step.get("gaps_ms").asDouble(), 1e-3, name);
            assertTrue(step.get("step_ms_unprofiled").asDouble() > 0, name);
        }
    }
}
