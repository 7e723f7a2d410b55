package dev.flood.estimate;

import dev.flood.api.EngineConfig;
import dev.flood.backend.cuda.CudaBackend;
import java.util.Objects;

/**
 * What {@code flood bench} measured on one device set for one model shape: the fitted {@link ThroughputModel},
 * the engine's limits in that run, and how long the engine took to open. Filed in a {@link CalibrationStore} under
 * {@code device} and {@code modelShape}.
 *
 * @param device             backend and devices, e.g. {@code cuda: 1 x NVIDIA H200, 1 stage} ({@link #deviceOf})
 * @param modelShape         {@link ModelShape#key()}
 * @param model              the fitted costs
 * @param cacheTokens        KV cache slots the engine had (sized from the device's memory when left automatic)
 * @param maxBatchTokens     its step budget
 * @param maxRunningRequests its running limit
 * @param openSeconds        how long the engine took to open (load the model); with dummy weights, no guide to
 *                           reading real ones
 * @param loadFormat         {@code safetensors} or {@code dummy}
 * @param measuredAt         when, as an ISO-8601 instant
 */
public record Calibration(String device, String modelShape, ThroughputModel model, int cacheTokens,
                          int maxBatchTokens, int maxRunningRequests, double openSeconds, String loadFormat,
                          String measuredAt) {

    public Calibration {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(modelShape, "modelShape");
        Objects.requireNonNull(model, "model");
        if (cacheTokens < 1 || maxBatchTokens < 1 || maxRunningRequests < 1) {
            throw new IllegalArgumentException("a calibration's limits must be positive, got cache " + cacheTokens
                    + ", step budget " + maxBatchTokens + ", running " + maxRunningRequests);
        }
    }

    /**
     * The device a configuration runs on, as calibrations are filed: the backend, what runs each stage (the GPUs'
     * names, or the CPU's threads) and the number of stages. Reads the GPUs' names from the driver.
     */
    public static String deviceOf(EngineConfig config) {
        int stages = config.numStages();
        String perStage = stages + (stages == 1 ? " stage" : " stages");
        if (!config.backend().equals("cuda")) {
            return "cpu: " + config.threads() + " threads, " + perStage;
        }
        String gpus = config.devices().stream().map(CudaBackend::gpuName).distinct().count() == 1
                ? config.devices().size() + " x " + CudaBackend.gpuName(config.devices().get(0))
                : String.join(" + ", config.devices().stream().map(CudaBackend::gpuName).toList());
        return "cuda: " + gpus + " on devices " + config.devices() + ", " + perStage;
    }
}
