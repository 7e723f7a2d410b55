package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineConfig.CudaGraphs;
import dev.flood.api.FloodException;
import dev.flood.config.ModelConfigReader;
import dev.flood.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * CUDA graphs with a mixture-of-experts model are refused before anything loads (they gave other tokens than eager
 * steps on the H200); dense models and graphs off pass. No GPU needed: the check reads the two configurations.
 */
class GraphsSupportTest {

    private static EngineConfig cuda(String fixture, CudaGraphs graphs) {
        return EngineConfig.builder(Fixtures.model(fixture)).backend("cuda").cudaGraphs(graphs).build();
    }

    @Test
    void aMixtureOfExpertsModelWithGraphsOnIsRefusedByName() {
        for (String fixture : new String[] {"tiny-qwen3-moe", "tiny-mixtral"}) {
            FloodException e = assertThrows(FloodException.class, () -> LoadedModel.requireGraphsSupported(
                    cuda(fixture, CudaGraphs.ON), ModelConfigReader.read(Fixtures.model(fixture))));
            assertTrue(e.getMessage().startsWith("CUDA graphs do not run mixture-of-experts models yet"), e.getMessage());
            assertTrue(e.getMessage().contains(fixture), e.getMessage());
        }
    }

    @Test
    void denseModelsAndGraphsOffPass() {
        LoadedModel.requireGraphsSupported(cuda("tiny-llama", CudaGraphs.ON), ModelConfigReader.read(
                Fixtures.model("tiny-llama")));
        LoadedModel.requireGraphsSupported(cuda("tiny-qwen3-moe", CudaGraphs.OFF), ModelConfigReader.read(
                Fixtures.model("tiny-qwen3-moe")));
    }
}
