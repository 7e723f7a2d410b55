package dev.flood.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything an engine is opened with, validated once. Build with {@link #builder(Path)}; entry points (CLI, Spark
 * conf, Flink options) translate their settings into this record, and library code reads nothing else.
 *
 * <p>Pipeline stages: the model's layers are split over {@link #numStages()} stages, each with its own backend
 * and the KV cache of its own layers; on {@code cuda} each stage runs on one GPU of {@code devices}
 * ({@code [0, 1]}: two GPUs; {@code [0, 0]}: two stages on GPU 0). Up to {@link #maxStepsInFlight()} steps are in
 * flight at once, so every stage has work and the host prepares the next step while the devices compute.
 *
 * @param modelPath          a Hugging Face model folder (config.json, tokenizer.json, safetensors); with
 *                           {@link LoadFormat#DUMMY} only config.json (and tokenizer.json if text is used) is read
 * @param loadFormat         real weights or random weights of the config's shapes
 * @param backend            {@code cpu} or {@code cuda}
 * @param devices            GPU ordinals for the CUDA backend, one per pipeline stage; ignored on the CPU
 * @param stages             pipeline stages on the CPU backend (0: one, or one per {@code stageLayers} entry); on
 *                           {@code cuda} 0 or the number of devices
 * @param stageLayers        decoder layers per stage, first stage first, summing to the model's layers; empty
 *                           splits them so the stages cost about the same
 * @param stepsInFlight      most steps launched and not yet post-processed; 0 is {@code stages + 1} (one per stage
 *                           plus one being prepared); 1 runs one step at a time (no overlap)
 * @param cacheTokens        token slots in the segment KV cache; 0 picks a size from the memory available
 * @param maxBatchTokens     token budget of one step: decode tokens plus prefill chunk tokens; 0 picks it when the
 *                           model is loaded (the CPU backend: {@link #CPU_MAX_BATCH_TOKENS}; CUDA: from the model
 *                           and the GPU memory left after the weights)
 * @param maxRunningRequests most requests holding cache and taking part in steps at once; 0 picks it like
 *                           {@code maxBatchTokens} (the CPU backend: {@link #CPU_MAX_RUNNING_REQUESTS})
 * @param reservation        how much cache a request takes when admitted
 * @param prefixCaching      whether computed prompt prefixes are kept for the requests that start with them
 * @param quantization       how linear weights are held on the GPU: the checkpoint's own format, bf16, or FP8
 * @param cudaGraphs         whether the CUDA backend runs decode-only steps as CUDA graphs (ignored on the CPU)
 * @param threads            CPU backend worker threads, shared by its stages
 * @param seed               seeds dummy weights and the seeds of requests that give none
 */
public record EngineConfig(Path modelPath, LoadFormat loadFormat, String backend, List<Integer> devices, int stages,
                           List<Integer> stageLayers, int stepsInFlight, int cacheTokens, int maxBatchTokens,
                           int maxRunningRequests, CacheReservation reservation, PrefixCaching prefixCaching,
                           Quantization quantization, CudaGraphs cudaGraphs, int threads, long seed) {

    /** Most steps in flight that {@code stepsInFlight} may ask for (each holds its own step buffers). */
    public static final int MAX_STEPS_IN_FLIGHT = 16;
    /** The CPU backend's step budget when none is given. */
    public static final int CPU_MAX_BATCH_TOKENS = 1024;
    /** The CPU backend's running-request limit when none is given. */
    public static final int CPU_MAX_RUNNING_REQUESTS = 256;

    public EngineConfig {
        Objects.requireNonNull(modelPath, "modelPath");
        Objects.requireNonNull(loadFormat, "loadFormat");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(reservation, "reservation");
        Objects.requireNonNull(prefixCaching, "prefixCaching");
        Objects.requireNonNull(quantization, "quantization");
        Objects.requireNonNull(cudaGraphs, "cudaGraphs");
        devices = List.copyOf(Objects.requireNonNull(devices, "devices"));
        stageLayers = List.copyOf(Objects.requireNonNull(stageLayers, "stageLayers"));
        if (!backend.equals("cpu") && !backend.equals("cuda")) {
            throw new IllegalArgumentException("backend must be 'cpu' or 'cuda', got '" + backend + "'");
        }
        if (devices.stream().anyMatch(d -> d < 0)) {
            throw new IllegalArgumentException("devices must be GPU ordinals >= 0, got " + devices);
        }
        if (stages < 0) {
            throw new IllegalArgumentException("stages must be >= 0 (0 = automatic), got " + stages);
        }
        if (stageLayers.stream().anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("stageLayers must give every stage at least one layer, got "
                    + stageLayers);
        }
        if (backend.equals("cuda")) {
            if (devices.isEmpty()) {
                throw new IllegalArgumentException("devices must name at least one GPU ordinal for the cuda backend");
            }
            if (stages != 0 && stages != devices.size()) {
                throw new IllegalArgumentException("stages " + stages + " does not match devices " + devices
                        + ": the cuda backend runs one stage per device ([0, 0] puts two stages on GPU 0)");
            }
        }
        int numStages = backend.equals("cuda") ? devices.size()
                : stages > 0 ? stages : Math.max(1, stageLayers.size());
        if (!stageLayers.isEmpty() && stageLayers.size() != numStages) {
            throw new IllegalArgumentException("stageLayers " + stageLayers + " splits the layers into "
                    + stageLayers.size() + " stages, but the engine has " + numStages
                    + (backend.equals("cuda") ? " (one per device of " + devices + ")" : " (stages " + stages + ")"));
        }
        if (stepsInFlight < 0 || stepsInFlight > MAX_STEPS_IN_FLIGHT) {
            throw new IllegalArgumentException("stepsInFlight must be in [0, " + MAX_STEPS_IN_FLIGHT
                    + "] (0 = stages + 1, 1 = no overlap), got " + stepsInFlight);
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

    /** The pipeline's stages: one per device on {@code cuda}; {@code stages} (or one per stageLayers entry) on the CPU. */
    public int numStages() {
        if (backend.equals("cuda")) {
            return devices.size();
        }
        return stages > 0 ? stages : Math.max(1, stageLayers.size());
    }

    /** {@code stepsInFlight}, or one per stage plus one being prepared when it is 0. */
    public int maxStepsInFlight() {
        return stepsInFlight > 0 ? stepsInFlight : numStages() + 1;
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

    /**
     * Whether the CUDA backend runs decode-only steps as CUDA graphs (backend/cuda's {@code DecodeGraphs}): each such
     * step's launches are captured and the step runs as one graph launch, so the GPU runs its few hundred kernels
     * back to back without the gaps between separately launched kernels. Results are the same either way.
     */
    public enum CudaGraphs {
        /** Decode-only steps as graphs; prefill and mixed steps eager (the default). */
        ON,
        /** Every step launched kernel by kernel. */
        OFF
    }

    /** How much KV cache a request reserves on admission. */
    public enum CacheReservation {
        /** Prompt plus max new tokens up front: a running request never waits for cache. */
        FULL,
        /** Only what the next step needs; a request that cannot grow is preempted and recomputed later. */
        INCREMENTAL
    }

    /**
     * Prefix caching: whether the keys and values of a computed prompt prefix are kept in the KV cache, so requests
     * whose prompts start with it (a system prompt, few-shot examples, an option-scoring question) compute only
     * the rest. Kept prefixes give way, least recently used first, when running requests need the slots.
     */
    public enum PrefixCaching {
        /** Keep computed prompt prefixes and read them instead of computing them again (the default). */
        ON,
        /** Every request computes its whole prompt. */
        OFF
    }

    public static Builder builder(Path modelPath) {
        return new Builder(modelPath);
    }

    public Builder toBuilder() {
        Builder b = new Builder(modelPath);
        b.loadFormat = loadFormat;
        b.backend = backend;
        b.devices = devices;
        b.stages = stages;
        b.stageLayers = stageLayers;
        b.stepsInFlight = stepsInFlight;
        b.cacheTokens = cacheTokens;
        b.maxBatchTokens = maxBatchTokens;
        b.maxRunningRequests = maxRunningRequests;
        b.reservation = reservation;
        b.prefixCaching = prefixCaching;
        b.quantization = quantization;
        b.cudaGraphs = cudaGraphs;
        b.threads = threads;
        b.seed = seed;
        return b;
    }

    public static final class Builder {
        private Path modelPath;
        private LoadFormat loadFormat = LoadFormat.SAFETENSORS;
        private String backend = "cpu";
        private List<Integer> devices = List.of(0);
        private int stages = 0;
        private List<Integer> stageLayers = List.of();
        private int stepsInFlight = 0;
        private int cacheTokens = 0;
        private int maxBatchTokens = 0;
        private int maxRunningRequests = 0;
        private CacheReservation reservation = CacheReservation.FULL;
        private PrefixCaching prefixCaching = PrefixCaching.ON;
        private Quantization quantization = Quantization.AUTO;
        private CudaGraphs cudaGraphs = CudaGraphs.ON;
        private int threads = Runtime.getRuntime().availableProcessors();
        private long seed = 0;

        private Builder(Path modelPath) {
            this.modelPath = modelPath;
        }

        public Builder modelPath(Path value) { modelPath = value; return this; }
        public Builder loadFormat(LoadFormat value) { loadFormat = value; return this; }
        public Builder backend(String value) { backend = value; return this; }
        public Builder devices(List<Integer> value) { devices = value; return this; }
        public Builder stages(int value) { stages = value; return this; }
        public Builder stageLayers(List<Integer> value) { stageLayers = value; return this; }
        public Builder stepsInFlight(int value) { stepsInFlight = value; return this; }
        public Builder cacheTokens(int value) { cacheTokens = value; return this; }
        public Builder maxBatchTokens(int value) { maxBatchTokens = value; return this; }
        public Builder maxRunningRequests(int value) { maxRunningRequests = value; return this; }
        public Builder reservation(CacheReservation value) { reservation = value; return this; }
        public Builder prefixCaching(PrefixCaching value) { prefixCaching = value; return this; }
        public Builder quantization(Quantization value) { quantization = value; return this; }
        public Builder cudaGraphs(CudaGraphs value) { cudaGraphs = value; return this; }
        public Builder threads(int value) { threads = value; return this; }
        public Builder seed(long value) { seed = value; return this; }

        public EngineConfig build() {
            return new EngineConfig(modelPath, loadFormat, backend, devices, stages, stageLayers, stepsInFlight,
                    cacheTokens, maxBatchTokens, maxRunningRequests, reservation, prefixCaching, quantization,
                    cudaGraphs, threads, seed);
        }
    }
}
