package dev.flood.backend;

import dev.flood.api.EngineConfig;
import dev.flood.config.ModelConfig;
import java.util.List;
import java.util.Locale;

/**
 * The step budget and running-request limit a backend picks for a configuration that leaves them automatic, and
 * what it based them on (for the start-up message).
 *
 * @param maxBatchTokens     tokens in one step
 * @param maxRunningRequests requests in the running batch
 * @param basis              why, in a few words
 */
public record StepLimits(int maxBatchTokens, int maxRunningRequests, String basis) {

    /** The CPU backend's limits: small steps keep the fp32 reference's latency per step short. */
    public static final StepLimits CPU = new StepLimits(EngineConfig.CPU_MAX_BATCH_TOKENS,
            EngineConfig.CPU_MAX_RUNNING_REQUESTS, "the CPU backend's defaults");

    private static final System.Logger LOG = System.getLogger(StepLimits.class.getName());

    public StepLimits {
        if (maxBatchTokens < 1 || maxRunningRequests < 1) {
            throw new IllegalArgumentException("step limits must be >= 1, got " + maxBatchTokens + " tokens and "
                    + maxRunningRequests + " requests");
        }
    }

    /**
     * {@code config} with its automatic (0) step limits filled by the backends' choice for {@code model} (each
     * holding its stage's weights): the smallest any of them picks, so that every stage can run such a step. Logged
     * at INFO so that a user sees what was chosen; unchanged when both limits are given.
     */
    public static EngineConfig resolve(EngineConfig config, ModelConfig model, List<Backend> backends) {
        if (config.hasStepLimits()) {
            return config;
        }
        StepLimits automatic = null;
        for (Backend backend : backends) {
            StepLimits limits = backend.automaticStepLimits(model);
            automatic = automatic == null ? limits : new StepLimits(
                    Math.min(automatic.maxBatchTokens(), limits.maxBatchTokens()),
                    Math.min(automatic.maxRunningRequests(), limits.maxRunningRequests()), limits.basis());
        }
        if (automatic == null) {
            throw new IllegalArgumentException("no backend to choose step limits");
        }
        EngineConfig resolved = config.withAutomaticLimits(automatic.maxBatchTokens(), automatic.maxRunningRequests());
        String basis = automatic.basis();
        LOG.log(System.Logger.Level.INFO, () -> String.format(Locale.ROOT, "flood: %s backend, steps of %,d tokens%s"
                + " and %,d running requests%s (%s)", backends.get(0).name(), resolved.maxBatchTokens(),
                config.maxBatchTokens() == 0 ? " (automatic)" : "", resolved.maxRunningRequests(),
                config.maxRunningRequests() == 0 ? " (automatic)" : "", basis));
        return resolved;
    }
}
