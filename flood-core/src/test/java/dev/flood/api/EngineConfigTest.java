package dev.flood.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Pipeline settings (how many stages and steps in flight a config means), automatic step limits and quantization,
 * and errors that name the bad value.
 */
class EngineConfigTest {

    private static EngineConfig.Builder builder() {
        return EngineConfig.builder(Path.of("model"));
    }

    @Test
    void stagesFollowTheDevicesOnCudaAndTheStagesSettingOnTheCpu() {
        assertEquals(1, builder().build().numStages());
        assertEquals(2, builder().backend("cuda").devices(List.of(0, 0)).build().numStages());
        assertEquals(2, builder().backend("cuda").devices(List.of(0, 1)).stages(2).build().numStages());
        assertEquals(1, builder().devices(List.of(0, 1)).build().numStages(), "devices are ignored on the CPU");
        assertEquals(3, builder().stages(3).build().numStages());
        assertEquals(2, builder().stageLayers(List.of(2, 1)).build().numStages());
    }

    @Test
    void stepsInFlightDefaultToOnePerStagePlusOne() {
        assertEquals(2, builder().build().maxStepsInFlight());
        assertEquals(4, builder().stages(3).build().maxStepsInFlight());
        assertEquals(1, builder().stages(3).stepsInFlight(1).build().maxStepsInFlight());
        assertEquals(3, builder().backend("cuda").devices(List.of(0, 1)).build().maxStepsInFlight());
    }

    @Test
    void badPipelineSettingsNameTheirValues() {
        assertMessage(() -> builder().backend("cuda").devices(List.of(0, 1)).stages(3).build(),
                "stages 3 does not match devices [0, 1]: the cuda backend runs one stage per device ([0, 0] puts two"
                        + " stages on GPU 0)");
        assertMessage(() -> builder().backend("cuda").devices(List.of()).build(),
                "devices must name at least one GPU ordinal for the cuda backend");
        assertMessage(() -> builder().devices(List.of(0, -1)).build(), "devices must be GPU ordinals >= 0, got [0, -1]");
        assertMessage(() -> builder().stages(-1).build(), "stages must be >= 0 (0 = automatic), got -1");
        assertMessage(() -> builder().stages(2).stageLayers(List.of(1, 1, 1)).build(),
                "stageLayers [1, 1, 1] splits the layers into 3 stages, but the engine has 2 (stages 2)");
        assertMessage(() -> builder().backend("cuda").devices(List.of(0, 1)).stageLayers(List.of(3)).build(),
                "stageLayers [3] splits the layers into 1 stages, but the engine has 2 (one per device of [0, 1])");
        assertMessage(() -> builder().stageLayers(List.of(2, 0)).build(),
                "stageLayers must give every stage at least one layer, got [2, 0]");
        assertMessage(() -> builder().stepsInFlight(17).build(),
                "stepsInFlight must be in [0, 16] (0 = stages + 1, 1 = no overlap), got 17");
    }

    @Test
    void toBuilderKeepsThePipelineSettings() {
        EngineConfig config = builder().stages(3).stageLayers(List.of(1, 1, 1)).stepsInFlight(2).build();
        assertEquals(config, config.toBuilder().build());
    }

    private static void assertMessage(Executable build, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, build).getMessage());
    }

    @Test
    void stepLimitsAreAutomaticUnlessGiven() {
        EngineConfig config = EngineConfig.builder(Path.of("model")).build();
        assertEquals(0, config.maxBatchTokens());
        assertEquals(0, config.maxRunningRequests());
        assertFalse(config.hasStepLimits());
        assertTrue(EngineConfig.builder(Path.of("model")).maxBatchTokens(5).maxRunningRequests(3).build().hasStepLimits());
    }

    @Test
    void automaticLimitsFillOnlyWhatWasLeftOpen() {
        EngineConfig budgetGiven = EngineConfig.builder(Path.of("model")).maxBatchTokens(77).build();
        EngineConfig resolved = budgetGiven.withAutomaticLimits(16_384, 1_024);
        assertEquals(77, resolved.maxBatchTokens(), "a given budget is kept");
        assertEquals(1_024, resolved.maxRunningRequests(), "an automatic limit is filled");
        assertEquals(budgetGiven.modelPath(), resolved.modelPath());
        assertEquals(budgetGiven.seed(), resolved.seed());
    }

    @Test
    void negativeLimitsAreRejectedNamingZeroAsAutomatic() {
        IllegalArgumentException tokens = assertThrows(IllegalArgumentException.class,
                () -> EngineConfig.builder(Path.of("model")).maxBatchTokens(-1).build());
        assertEquals("maxBatchTokens must be >= 0 (0 = automatic), got -1", tokens.getMessage());
        IllegalArgumentException running = assertThrows(IllegalArgumentException.class,
                () -> EngineConfig.builder(Path.of("model")).maxRunningRequests(-2).build());
        assertEquals("maxRunningRequests must be >= 0 (0 = automatic), got -2", running.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> EngineConfig.builder(Path.of("model")).build().withAutomaticLimits(0, 5));
    }

    @Test
    void cudaGraphsAreOnUnlessTurnedOff() {
        assertEquals(EngineConfig.CudaGraphs.ON, EngineConfig.builder(Path.of("model")).build().cudaGraphs());
        EngineConfig off = EngineConfig.builder(Path.of("model")).backend("cuda")
                .cudaGraphs(EngineConfig.CudaGraphs.OFF).build();
        assertEquals(EngineConfig.CudaGraphs.OFF, off.toBuilder().build().cudaGraphs());
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> EngineConfig.builder(Path.of("model")).cudaGraphs(null).build());
        assertEquals("cudaGraphs", e.getMessage());
    }

    @Test
    void fp8IsForTheGpuBackend() {
        assertEquals(EngineConfig.Quantization.AUTO, EngineConfig.builder(Path.of("model")).build().quantization());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder(Path.of("model"))
                .quantization(EngineConfig.Quantization.FP8).build());
        assertEquals("quantization fp8 runs FP8 matrix products on the GPU; use backend 'cuda' (the CPU backend"
                + " computes in float32)", e.getMessage());
        assertEquals(EngineConfig.Quantization.FP8, EngineConfig.builder(Path.of("model")).backend("cuda")
                .quantization(EngineConfig.Quantization.FP8).build().toBuilder().build().quantization());
    }
}
