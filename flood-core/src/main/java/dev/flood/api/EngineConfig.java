package dev.flood.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything an engine is opened with, validated once. Build with {@link #builder(Path)}; entry points (CLI, Spark
 * conf, Flink options) translate their settings into this record, and library code reads nothing else.
 *
 * @param modelPath          a Hugging Face model folder (config.json, tokenizer.json, safetensors); with
 *                           {@link LoadFormat#DUMMY} only config.json (and tokenizer.json if text is used) is read
 * @param loadFormat         real weights or random weights of the config's shapes
 * @param backend            {@code cpu} or {@code cuda}
 * @param devices            GPU ordinals for the CUDA backend (one per pipeline stage); ignored on the CPU
 * @param cacheTokens        token slots in the segment KV cache; 0 picks a size from the memory available
 * @param maxBatchTokens     token budget of one step: decode tokens plus prefill chunk tokens; 0 picks it when the
 *                           model is loaded (the CPU backend: {@link #CPU_MAX_BATCH_TOKENS}; CUDA: from the model
 *                           and the GPU memory left after the weights)
 * @param maxRunningRequests most requests holding cache and taking part in steps at once; 0 picks it like
 *                           {@code maxBatchTokens} (the CPU backend: {@link #CPU_MAX_RUNNING_REQUESTS})
 * @param reservation        how much cache a request takes when admitted
 * @param quantization       how linear weights are held on the GPU: the checkpoint's own format, bf16, or FP8
 * @param threads            CPU backend worker threads
 * @param seed               seeds dummy weights and the seeds of requests that give none
 */
public record EngineConfig(Path modelPath, LoadFormat loadFormat, String backend, List<Integer> devices,
                           int cacheTokens, int maxBatchTokens, int maxRunningRequests,
                           CacheReservation reservation, Quantization quantization, int threads, long seed) {

    /** The CPU backend's step budget when none is given. */
    public static final int CPU_MAX_BATCH_TOKENS = 1024;
    /** The CPU backend's running-request limit when none is given. */
    public static final int CPU_MAX_RUNNING_REQUESTS = 256;

    public EngineConfig {
        Objects.requireNonNull(modelPath, "modelPath");
        Objects.requireNonNull(loadFormat, "loadFormat");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(reservation, "reservation");
        Objects.requireNonNull(quantization, "quantization");
        devices = List.copyOf(devices);
        if (!backend.equals("cpu") && !backend.equals("cuda")) {
            throw new IllegalArgumentException("backend must be 'cpu' or 'cuda', got '" + backend + "'");
        }
        if (cacheTokens < 0) {
            throw new IllegalArgumentException("cacheTokens must be >= 0 (0 = automatic), got " + cacheTokens);
        }
        if (maxBatchTokens < 0) {
            throw new IllegalArgumentException("maxBatchTokens must be >= 0 (0 = automatic), got " + maxBatchTokens);
        }
        if (maxRunningRequests < 0) {
            throw new IllegalArgumentException("maxRunningRequests must be >= 0 (0 = automatic), got "
                    + maxRunningRequests);
        }
        if (quantization == Quantization.FP8 && !backend.equals("cuda")) {
            throw new IllegalArgumentException("quantization fp8 runs FP8 matrix products on the GPU; use backend"
                    + " 'cuda' (the CPU backend computes in float32)");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    /** Whether both step limits are set (none is left automatic). */
    public boolean hasStepLimits() {
        return maxBatchTokens > 0 && maxRunningRequests > 0;
    }

    /**
     * This configuration with each automatic (0) step limit replaced by the one given; limits already set are
     * kept. The engine resolves its configuration this way once the model is loaded.
     */
    public EngineConfig withAutomaticLimits(int automaticBatchTokens, int automaticRunningRequests) {
        if (automaticBatchTokens < 1 || automaticRunningRequests < 1) {
            throw new IllegalArgumentException("automatic limits must be >= 1, got " + automaticBatchTokens + " tokens"
                    + " and " + automaticRunningRequests + " requests");
        }
        return toBuilder()
                .maxBatchTokens(maxBatchTokens > 0 ? maxBatchTokens : automaticBatchTokens)
                .maxRunningRequests(maxRunningRequests > 0 ? maxRunningRequests : automaticRunningRequests)
                .build();
    }

    /** Whether to read the checkpoint's weights or make random ones of its shapes (for benchmarks). */
    public enum LoadFormat { SAFETENSORS, DUMMY }

    /** How the linear layers' weights are held (the CUDA backend; the CPU backend computes in float32). */
    public enum Quantization {
        /**
         * The checkpoint's own: FP8 where it is stored in FP8 ({@code quantization_config} in config.json) and the
         * GPU runs FP8 products (Hopper), else bf16.
         */
        AUTO,
        /** bf16 whatever the checkpoint stores (FP8 checkpoints dequantized at load). */
        NONE,
        /**
         * FP8 (E4M3) weights with float32 scales and FP8 products with float32 accumulation, activations quantized per
         * token (and per 128 columns) on the fly: a bf16 checkpoint is quantized at load, in 128 x 128 blocks where
         * the shapes allow and per output channel elsewhere; an FP8 one is used as stored. Needs a GPU with FP8
         * scaling in cuBLASLt (compute capability 9.0); refused elsewhere.
         */
        FP8
    }

    /** How much KV cache a request reserves on admission. */
    public enum CacheReservation {
        /** Prompt plus max new tokens up front: a running request never waits for cache. */
        FULL,
        /** Only what the next step needs; a request that cannot grow is preempted and recomputed later. */
        INCREMENTAL
    }

    public static Builder builder(Path modelPath) {
        return new Builder(modelPath);
    }

    public Builder toBuilder() {
        Builder b = new Builder(modelPath);
        b.loadFormat = loadFormat;
        b.backend = backend;
        b.devices = devices;
        b.cacheTokens = cacheTokens;
        b.maxBatchTokens = maxBatchTokens;
        b.maxRunningRequests = maxRunningRequests;
        b.reservation = reservation;
        b.quantization = quantization;
        b.threads = threads;
        b.seed = seed;
        return b;
    }

    public static final class Builder {
        private final Path modelPath;
        private LoadFormat loadFormat = LoadFormat.SAFETENSORS;
        private String backend = "cpu";
        private List<Integer> devices = List.of(0);
        private int cacheTokens = 0;
        private int maxBatchTokens = 0;
        private int maxRunningRequests = 0;
        private CacheReservation reservation = CacheReservation.FULL;
        private Quantization quantization = Quantization.AUTO;
        private int threads = Runtime.getRuntime().availableProcessors();
        private long seed = 0;

        private Builder(Path modelPath) {
            this.modelPath = modelPath;
        }

        public Builder loadFormat(LoadFormat value) { loadFormat = value; return this; }
        public Builder backend(String value) { backend = value; return this; }
        public Builder devices(List<Integer> value) { devices = value; return this; }
        public Builder cacheTokens(int value) { cacheTokens = value; return this; }
        public Builder maxBatchTokens(int value) { maxBatchTokens = value; return this; }
        public Builder maxRunningRequests(int value) { maxRunningRequests = value; return this; }
        public Builder reservation(CacheReservation value) { reservation = value; return this; }
        public Builder quantization(Quantization value) { quantization = value; return this; }
        public Builder threads(int value) { threads = value; return this; }
        public Builder seed(long value) { seed = value; return this; }

        public EngineConfig build() {
            return new EngineConfig(modelPath, loadFormat, backend, devices, cacheTokens, maxBatchTokens,
                    maxRunningRequests, reservation, quantization, threads, seed);
        }
    }
}
