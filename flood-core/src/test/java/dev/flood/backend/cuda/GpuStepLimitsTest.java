package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.backend.StepLimits;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The GPU's automatic step limits from a model's shape and free memory: arithmetic only, no GPU needed. */
class GpuStepLimitsTest {

    private static final long GIB = 1L << 30;

    private static ModelConfig shape(String name) throws Exception {
        return ModelConfigReader.read(Path.of(GpuStepLimitsTest.class.getResource("/shapes/" + name).toURI()));
    }

    @Test
    void anH200TakesTheLargestLimitsForLlama8bAnd1b() throws Exception {
        // An H200 has about 140 GiB; Llama-3.1-8B's bf16 weights take 15 GiB, Llama-3.2-1B's 2.3 GiB.
        StepLimits eightB = GpuStepLimits.choose(shape("llama-3.1-8b"), 124 * GIB);
        assertEquals(16_384, eightB.maxBatchTokens());
        assertEquals(1_024, eightB.maxRunningRequests());
        StepLimits oneB = GpuStepLimits.choose(shape("llama-3.2-1b"), 137 * GIB);
        assertEquals(16_384, oneB.maxBatchTokens());
        assertEquals(1_024, oneB.maxRunningRequests());
        assertTrue(eightB.basis().startsWith("124.0 GiB free after the weights"), eightB.basis());
    }

    @Test
    void lessMemoryGivesSmallerStepsAndFewerRequests() throws Exception {
        ModelConfig eightB = shape("llama-3.1-8b");
        // 22 GiB free: a tenth (2.36 GB) holds the workspace of 2,048 tokens (0.6 GB of activations at 295 KB a
        // token, 1.07 GB of logits and sampling scores for 1,024 rows, 0.56 GB for one chunk of scoring's logits)
        // but not 4,096 (2.9 GB); the cache then holds about 146,000 tokens, enough for 256 requests of 512 tokens
        // but not 512.
        StepLimits medium = GpuStepLimits.choose(eightB, 22 * GIB);
        assertEquals(2_048, medium.maxBatchTokens());
        assertEquals(256, medium.maxRunningRequests());
        // 8 GiB free (a 24 GiB GPU with the 8B weights): 1,024-token steps, a cache of about 49,000 tokens.
        StepLimits small = GpuStepLimits.choose(eightB, 8 * GIB);
        assertEquals(1_024, small.maxBatchTokens());
        assertEquals(64, small.maxRunningRequests());
        StepLimits tiny = GpuStepLimits.choose(eightB, GIB / 2);
        assertEquals(1_024, tiny.maxBatchTokens(), "never below the CPU default");
        assertEquals(16, tiny.maxRunningRequests(), "never below 16");
    }

    @Test
    void theRunningLimitNeverExceedsTheBudget() throws Exception {
        ModelConfig oneB = shape("llama-3.2-1b");
        for (long gib = 1; gib <= 140; gib += 3) {
            StepLimits limits = GpuStepLimits.choose(oneB, gib * GIB);
            assertTrue(limits.maxRunningRequests() <= limits.maxBatchTokens(), gib + " GiB: " + limits);
        }
    }
}
