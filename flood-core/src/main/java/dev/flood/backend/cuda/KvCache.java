package dev.flood.backend.cuda;

import dev.flood.api.FloodException;
import dev.flood.backend.OutOfDeviceMemoryException;
import dev.flood.weights.DType;

/**
 * The segment KV cache on the device: per layer one key and one value slab of {@code [capacityTokens, kvSize]}
 * bf16, slot-major (slot s holds its KV heads at {@code [s * kvSize, (s + 1) * kvSize)}).
 */
final class KvCache implements AutoCloseable {

    private static final double GIB = 1024.0 * 1024 * 1024;

    private final CudaDevice device;
    private final DeviceAllocation[] keys;
    private final DeviceAllocation[] values;
    private final int capacityTokens;
    private final int kvSize;

    private KvCache(CudaDevice device, int numLayers, int capacityTokens, int kvSize) {
        this.device = device;
        this.keys = new DeviceAllocation[numLayers];
        this.values = new DeviceAllocation[numLayers];
        this.capacityTokens = capacityTokens;
        this.kvSize = kvSize;
    }

    /** Bytes of one token's keys and values over all layers. */
    static long bytesPerToken(int numLayers, int kvSize) {
        return 2L * numLayers * kvSize * 2;
    }

    /**
     * Allocates the slabs, or fails before allocating anything when they cannot fit, with what was asked, what is
     * free, and a cache size that would fit.
     */
    static KvCache allocate(CudaDevice device, int numLayers, int capacityTokens, int kvSize) {
        long perToken = bytesPerToken(numLayers, kvSize);
        long needed = perToken * capacityTokens;
        long free = device.freeBytes();
        long usable = free / 10 * 9;
        if (needed > usable) {
            throw new OutOfDeviceMemoryException(String.format("not enough GPU memory for the KV cache on device %d"
                    + " (%s): %d tokens need %.2f GiB, %.2f GiB are free after the weights and workspace (90%% usable);"
                    + " try a cache of at most %d tokens", device.ordinal(), device.name(), capacityTokens, needed / GIB, free / GIB,
                    usable / perToken));
        }
        KvCache cache = new KvCache(device, numLayers, capacityTokens, kvSize);
        try {
            for (int layer = 0; layer < numLayers; layer++) {
                long slab = (long) capacityTokens * kvSize * 2;
                cache.keys[layer] = device.allocate(slab, "the key cache of layer " + layer);
                cache.values[layer] = device.allocate(slab, "the value cache of layer " + layer);
            }
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
        return cache;
    }

    /** Fills every slab with deterministic random bf16 values (benchmarks: never zeros, never NaN). */
    void fillUniform(Kernels kernels, long seed) {
        long values = (long) capacityTokens * kvSize;
        for (int layer = 0; layer < keys.length; layer++) {
            kernels.fillUniform(keys[layer].address(), values, DType.BF16, seed + 2L * layer, -2f, 2f);
            kernels.fillUniform(this.values[layer].address(), values, DType.BF16, seed + 2L * layer + 1, -1f, 1f);
        }
    }

    DeviceAllocation keySlab(int layer) {
        return keys[layer];
    }

    DeviceAllocation valueSlab(int layer) {
        return values[layer];
    }

    long keys(int layer) {
        return keys[layer].address();
    }

    long values(int layer) {
        return values[layer].address();
    }

    /** Fails unless {@code layer} is one of this cache's layers and its kv width matches. */
    void check(int layer, int layerKvSize) {
        if (layer < 0 || layer >= numLayers() || layerKvSize != kvSize()) {
            throw new IllegalArgumentException("layer " + layer + " with kv size " + layerKvSize + " does not match"
                    + " a cache of " + numLayers() + " layers x " + kvSize());
        }
    }

    int numLayers() {
        return keys.length;
    }

    int capacityTokens() {
        return capacityTokens;
    }

    int kvSize() {
        return kvSize;
    }

    long bytes() {
        return bytesPerToken(keys.length, kvSize) * capacityTokens;
    }

    @Override
    public void close() {
        for (int layer = 0; layer < keys.length; layer++) {
            if (keys[layer] != null) {
                device.free(keys[layer]);
                keys[layer] = null;
            }
            if (values[layer] != null) {
                device.free(values[layer]);
                values[layer] = null;
            }
        }
    }
}
