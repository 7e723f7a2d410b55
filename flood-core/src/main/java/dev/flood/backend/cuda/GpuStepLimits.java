package dev.flood.backend.cuda;

import dev.flood.backend.StepLimits;
import dev.flood.config.ModelConfig;
import java.util.Locale;

/**
 * Step limits for a GPU, from the model and the memory left after its weights. Larger steps keep the GPU on its
 * matrix units' rate: a decode step of R requests runs GEMMs of R rows, and below a few hundred rows a GEMM
 * reads the weights for little arithmetic; launch costs and weight reads are paid once per step whatever R is.
 * So both limits are as large as the memory allows, up to the point where steps stop getting more efficient:
 * <ul>
 *   <li>step budget: the largest of 16,384, 8,192, 4,096, 2,048 tokens whose step workspace (activations of
 *       the whole step, one layer at a time, its logits and one chunk of scoring's) takes at most a tenth of the
 *       free memory, else 1,024 (the CPU default);
 *   <li>running requests: the largest of 1,024, 512, 256, 128, 64, 32 (at most the budget) whose requests could
 *       all hold {@value #NOMINAL_REQUEST_TOKENS} tokens each in the KV cache that the rest of the memory buys
 *       (90% of it, as the cache is sized): a limit the cache could not reach only costs workspace. With the
 *       default reservation the scheduler admits a request only when its whole length fits, so a larger limit
 *       never overfills the cache.
 * </ul>
 * Pure arithmetic, so it is tested without a GPU.
 */
final class GpuStepLimits {

    /** A request of workload W is 512 tokens on average (prompt and output); shorter ones are common too. */
    static final int NOMINAL_REQUEST_TOKENS = 512;

    private static final int[] BUDGETS = {16_384, 8_192, 4_096, 2_048};
    private static final int SMALLEST_BUDGET = 1_024;
    private static final int[] RUNNING = {1_024, 512, 256, 128, 64, 32};
    private static final int FEWEST_RUNNING = 16;
    private static final double GIB = 1024.0 * 1024 * 1024;

    private GpuStepLimits() {
    }

    /** The limits for {@code model} with {@code freeBytes} of device memory free after its weights. */
    static StepLimits choose(ModelConfig model, long freeBytes) {
        int budget = SMALLEST_BUDGET;
        for (int candidate : BUDGETS) {
            if (StepMemory.workspaceBytes(model, candidate, RUNNING[0]) <= freeBytes / 10) {
                budget = candidate;
                break;
            }
        }
        long workspace = StepMemory.workspaceBytes(model, budget, RUNNING[0]);
        long cacheTokens = Math.max(0, freeBytes - workspace) / 10 * 9
                / KvCache.bytesPerToken(model.numLayers(), model.kvSize());
        int running = FEWEST_RUNNING;
        for (int candidate : RUNNING) {
            if (candidate <= budget && cacheTokens >= (long) candidate * NOMINAL_REQUEST_TOKENS) {
                running = candidate;
                break;
            }
        }
        return new StepLimits(budget, running, String.format(Locale.ROOT,
                "%.1f GiB free after the weights: a KV cache of about %,d tokens", freeBytes / GIB, cacheTokens));
    }
}
