package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.EngineConfig;
import dev.flood.api.EngineConfig.Quantization;
import dev.flood.api.FloodEngine;
import dev.flood.api.ScoreResult;
import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.cpu.Fp8Simulation;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.model.CausalLM;
import dev.flood.testing.Fixtures;
import dev.flood.testing.Fp8Checkpoints;
import dev.flood.weights.Fp8Scaling;
import dev.flood.weights.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Whole models in FP8 on a Hopper GPU (skipped elsewhere):
 * <ul>
 *   <li>the demo model's held-out perplexity (all of eval.json's chunks, scored by the engine) in FP8 within 1.5% of
 *       the GPU's bf16 path, three ways: the bf16 checkpoint quantized at load ({@code quantization fp8}), and
 *       FP8 copies of it as transformers (128 x 128 blocks) and llm-compressor (per channel) write them, read with
 *       the default {@code quantization auto}. The CPU simulation (Fp8SimulationTest) predicts +0.4%;
 *   <li>the reference checkpoints' last logits in FP8 against transformers' float32 logits: the errors are
 *       printed (this issue asks them reported) and held under 0.3, a bound for these random, narrow models whose
 *       logits are small beside FP8's 2.5% RMS rounding (their bf16 path is within 2e-2). A mixture-of-experts
 *       fixture is held to 0.3 against the CPU's simulation of the same FP8 path ({@link Fp8Simulation}, per
 *       channel, as {@code quantization fp8} quantizes a bf16 checkpoint) instead: FP8's rounding of the attention
 *       projections moves the router logits by up to 5 (their spread is about 8), so 8% of the tokens change
 *       experts and the logits move discontinuously (the simulation is 0.405 from transformers on tiny-qwen3-moe's
 *       second prompt; the H200 gave 0.41); the simulation makes the same choices but where the GPU's bf16
 *       roundings tip a router near-tie (0.09 at most between the simulation with and without those roundings).
 *       The experts and the router stay bf16 under FP8 ({@code SparseMoe} loads them with {@code loadMatrix}).
 * </ul>
 */
@Tag("gpu")
class CudaFp8ModelTest {

    static final List<String> MODELS = Fixtures.MODELS;
    private static final Path DEMO = Fixtures.demoModel();
    private static final double PERPLEXITY_TOLERANCE = 0.015;
    private static final double LOGITS_BOUND = 0.3;

    @TempDir
    static Path dir;

    @BeforeAll
    static void hopperOnly() {
        try (CudaBackend cuda = CudaBackend.open(0)) {
            assumeTrue(Fp8Support.available(cuda.computeCapability()), "not a Hopper GPU: " + cuda.deviceName());
        }
    }

    private static double perplexity(Path model, Quantization quantization) throws IOException {
        JsonNode eval = new ObjectMapper().readTree(DEMO.resolve("eval.json").toFile());
        List<String> texts = new ArrayList<>();
        eval.get("chunks").forEach(chunk -> texts.add(chunk.get("text").asText()));
        EngineConfig config = EngineConfig.builder(model).backend("cuda").quantization(quantization).build();
        try (FloodEngine engine = FloodEngine.open(config)) {
            double nll = 0;
            long tokens = 0;
            for (ScoreResult score : engine.score(texts)) {
                assertFalse(score.isError(), String.valueOf(score));
                nll += score.meanNll() * score.tokenLogprobs().size();
                tokens += score.tokenLogprobs().size();
            }
            return Math.exp(nll / tokens);
        }
    }

    @Test
    void demoPerplexityInFp8IsWithinOnePointFivePercentOfBf16() throws IOException {
        double bf16 = perplexity(DEMO, Quantization.NONE);
        double quantizedAtLoad = perplexity(DEMO, Quantization.FP8);
        double blocks = perplexity(Fp8Checkpoints.write(DEMO, dir.resolve("demo-fp8-blocks"), Fp8Scaling.BLOCK_128),
                Quantization.AUTO);
        double channels = perplexity(Fp8Checkpoints.write(DEMO, dir.resolve("demo-fp8-channels"),
                Fp8Scaling.PER_CHANNEL), Quantization.AUTO);
        System.out.printf("demo held-out perplexity on the GPU: bf16 %.4f; FP8 quantized at load %.4f (%+.2f%%),"
                        + " transformers fp8 blocks %.4f (%+.2f%%), compressed-tensors channels %.4f (%+.2f%%)%n", bf16,
                quantizedAtLoad, 100 * (quantizedAtLoad / bf16 - 1), blocks, 100 * (blocks / bf16 - 1), channels,
                100 * (channels / bf16 - 1));
        for (double fp8 : new double[] {quantizedAtLoad, blocks, channels}) {
            assertTrue(Math.abs(fp8 / bf16 - 1) <= PERPLEXITY_TOLERANCE, "FP8 perplexity " + fp8 + " vs bf16 " + bf16);
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void fixtureLogitsInFp8AreReported(String name) {
        ModelConfig config = ModelConfigReader.read(Fixtures.model(name));
        try (CudaBackend cuda = CudaBackend.open(0, new CudaBackend.Options(LaunchChecking.SYNCHRONOUS,
                PrefillKernel.FASTEST, Quantization.FP8, EngineConfig.CudaGraphs.OFF));
             Backend simulation = Fp8Simulation.backend(4, Fp8Simulation.Layout.PER_CHANNEL);
             SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(Fixtures.model(name))) {
            CausalLM lm = CausalLM.load(config, weights, cuda);
            CausalLM simulated = CausalLM.load(config, weights, simulation);
            cuda.allocateCache(config.numLayers(), config.maxPositions(), config.kvSize());
            simulation.allocateCache(config.numLayers(), config.maxPositions(), config.kvSize());
            boolean sparse = Fixtures.mixtureOfExperts(config);
            for (Fixtures.Case c : Fixtures.cases(name)) {
                float[] logits = cuda.toHost(lm.forward(onePrompt(c.inputIds())));
                float[] predicted = simulation.toHost(simulated.forward(onePrompt(c.inputIds())));
                double error = BackendPair.relativeError(logits, c.lastLogits());
                double vsSimulation = BackendPair.relativeError(logits, predicted);
                System.out.printf("%s FP8 '%s': last logits relative error %.2e vs transformers, %.2e vs the CPU's FP8"
                        + " simulation%n", name, c.prompt(), error, vsSimulation);
                double checked = sparse ? vsSimulation : error;
                assertTrue(checked <= LOGITS_BOUND, name + " '" + c.prompt() + "': " + checked + " vs "
                        + (sparse ? "the FP8 simulation" : "transformers"));
            }
        }
    }

    /** One request of {@code ids} from position 0, in slots 0.., its last row's logits asked. */
    private static ForwardBatch onePrompt(int[] ids) {
        int n = ids.length;
        int[] positions = IntStream.range(0, n).toArray();
        return new ForwardBatch(ids, positions, positions.clone(), new int[] {0, n}, new int[] {n}, new int[] {0, 1},
                new int[] {0}, new int[] {n}, new int[] {n - 1});
    }
}
