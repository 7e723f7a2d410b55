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
 * @param maxBatchTokens     token budget of one step: decode tokens plus prefill chunk tokens
 * @param maxRunningRequests most requests holding cache and taking part in steps at once
 * @param reservation        how much cache a request takes when admitted
 * @param threads            CPU backend worker threads
 * @param seed               seeds dummy weights and the seeds of requests that give none
 */
public record EngineConfig(Path modelPath, LoadFormat loadFormat, String backend, List<Integer> devices,
                           int cacheTokens, int maxBatchTokens, int maxRunningRequests,
                           CacheReservation reservation, int threads, long seed) {

    public EngineConfig {
        Objects.requireNonNull(modelPath, "modelPath");
        Objects.requireNonNull(loadFormat, "loadFormat");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(reservation, "reservation");
        devices = List.copyOf(devices);
        if (!backend.equals("cpu") && !backend.equals("cuda")) {
            throw new IllegalArgumentException("backend must be 'cpu' or 'cuda', got '" + backend + "'");
        }
        if (cacheTokens < 0) {
            throw new IllegalArgumentException("cacheTokens must be >= 0 (0 = automatic), got " + cacheTokens);
        }
        if (maxBatchTokens < 1) {
            throw new IllegalArgumentException("maxBatchTokens must be >= 1, got " + maxBatchTokens);
        }
        if (maxRunningRequests < 1) {
            throw new IllegalArgumentException("maxRunningRequests must be >= 1, got " + maxRunningRequests);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    /** Whether to read the checkpoint's weights or make random ones of its shapes (for benchmarks). */
    public enum LoadFormat { SAFETENSORS, DUMMY }

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
        b.threads = threads;
        b.seed = seed;
        return b;
    }

    public static final class Builder {
        private Path modelPath;
        private LoadFormat loadFormat = LoadFormat.SAFETENSORS;
        private String backend = "cpu";
        private List<Integer> devices = List.of(0);
        private int cacheTokens = 0;
        private int maxBatchTokens = 1024;
        private int maxRunningRequests = 256;
        private CacheReservation reservation = CacheReservation.FULL;
        private int threads = Runtime.getRuntime().availableProcessors();
        private long seed = 0;

        private Builder(Path modelPath) {
            this.modelPath = modelPath;
        }

        public Builder modelPath(Path value) { modelPath = value; return this; }
        public Builder loadFormat(LoadFormat value) { loadFormat = value; return this; }
        public Builder backend(String value) { backend = value; return this; }
        public Builder devices(List<Integer> value) { devices = value; return this; }
        public Builder cacheTokens(int value) { cacheTokens = value; return this; }
        public Builder maxBatchTokens(int value) { maxBatchTokens = value; return this; }
        public Builder maxRunningRequests(int value) { maxRunningRequests = value; return this; }
        public Builder reservation(CacheReservation value) { reservation = value; return this; }
        public Builder threads(int value) { threads = value; return this; }
        public Builder seed(long value) { seed = value; return this; }

        public EngineConfig build() {
            return new EngineConfig(modelPath, loadFormat, backend, devices, cacheTokens, maxBatchTokens,
                    maxRunningRequests, reservation, threads, seed);
        }
    }
}
