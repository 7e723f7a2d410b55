package dev.flood.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EngineConfigTest {

    private static final Path MODEL = Path.of("model");

    @Test
    void stepLimitsAreAutomaticUnlessGiven() {
        EngineConfig config = EngineConfig.builder(MODEL).build();
        assertEquals(0, config.maxBatchTokens());
        assertEquals(0, config.maxRunningRequests());
        assertFalse(config.hasStepLimits());
        assertTrue(EngineConfig.builder(MODEL).maxBatchTokens(5).maxRunningRequests(3).build().hasStepLimits());
    }

    @Test
    void automaticLimitsFillOnlyWhatWasLeftOpen() {
        EngineConfig budgetGiven = EngineConfig.builder(MODEL).maxBatchTokens(77).build();
        EngineConfig resolved = budgetGiven.withAutomaticLimits(16_384, 1_024);
        assertEquals(77, resolved.maxBatchTokens(), "a given budget is kept");
        assertEquals(1_024, resolved.maxRunningRequests(), "an automatic limit is filled");
        assertEquals(budgetGiven.modelPath(), resolved.modelPath());
        assertEquals(budgetGiven.seed(), resolved.seed());
    }

    @Test
    void negativeLimitsAreRejectedNamingZeroAsAutomatic() {
        IllegalArgumentException tokens = assertThrows(IllegalArgumentException.class,
                () -> EngineConfig.builder(MODEL).maxBatchTokens(-1).build());
        assertEquals("maxBatchTokens must be >= 0 (0 = automatic), got -1", tokens.getMessage());
        IllegalArgumentException running = assertThrows(IllegalArgumentException.class,
                () -> EngineConfig.builder(MODEL).maxRunningRequests(-2).build());
        assertEquals("maxRunningRequests must be >= 0 (0 = automatic), got -2", running.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> EngineConfig.builder(MODEL).build().withAutomaticLimits(0, 5));
    }

    @Test
    void fp8IsForTheGpuBackend() {
        assertEquals(EngineConfig.Quantization.AUTO, EngineConfig.builder(MODEL).build().quantization());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder(MODEL)
                .quantization(EngineConfig.Quantization.FP8).build());
        assertEquals("quantization fp8 runs FP8 matrix products on the GPU; use backend 'cuda' (the CPU backend"
                + " computes in float32)", e.getMessage());
        assertEquals(EngineConfig.Quantization.FP8, EngineConfig.builder(MODEL).backend("cuda")
                .quantization(EngineConfig.Quantization.FP8).build().toBuilder().build().quantization());
    }
}
