package dev.flood.backend.cuda;

import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.backend.cpu.CpuBackend;
import java.util.List;
import java.util.Random;

/**
 * The CUDA backend beside the float32 CPU reference, fed identical inputs. Inputs enter both through the
 * Backend interface only: a tensor's values become a bf16 "embedding table" and {@link #activation} embeds rows
 * 0..n-1 of it, which yields exactly those (bf16-representable) values on both backends.
 */
final class BackendPair implements AutoCloseable {

    final CudaBackend cuda;
    final CpuBackend cpu = new CpuBackend(Runtime.getRuntime().availableProcessors());
    final ArrayWeights weights = new ArrayWeights();
    final Random random;
    private int counter;

    /** One tensor or weight on each backend. */
    record Pair<T>(T cpu, T cuda) {
    }

    BackendPair(long seed) {
        this(seed, PrefillKernel.FASTEST);
    }

    /** With the CUDA backend's prefill attention kernel chosen. */
    BackendPair(long seed, PrefillKernel prefillKernel) {
        this.cuda = CudaBackend.open(0, LaunchChecking.SYNCHRONOUS, prefillKernel);
        this.random = new Random(seed);
    }

    /** Starts a step on both backends. */
    void beginStep(ForwardBatch batch) {
        cpu.beginStep(batch);
        cuda.beginStep(batch);
    }

    /** A matrix of values uniform in [-scale, scale). */
    Pair<Weight> matrix(int rows, int cols, float scale) {
        String name = "matrix" + counter++;
        weights.put(name, uniform(rows * cols, scale), rows, cols);
        Pair<Weight> loaded = new Pair<>(cpu.loadMatrix(weights, List.of(name), List.of(rows), cols),
                cuda.loadMatrix(weights, List.of(name), List.of(rows), cols));
        weights.remove(name);
        return loaded;
    }

    /** A vector of values uniform in [low, high). */
    Pair<Weight> vector(int length, float low, float high) {
        String name = "vector" + counter++;
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = low + (high - low) * random.nextFloat();
        }
        weights.put(name, values, length);
        Pair<Weight> loaded = new Pair<>(cpu.loadVector(weights, List.of(name), List.of(length)),
                cuda.loadVector(weights, List.of(name), List.of(length)));
        weights.remove(name);
        return loaded;
    }

    /**
     * A float32 activation {@code [rows, cols]} holding {@code values} (rounded to bf16) on both backends.
     * {@code batch} (already begun) must have token ids 0 .. rows-1.
     */
    Pair<Tensor> activation(float[] values, int rows, int cols, ForwardBatch batch) {
        String name = "activation" + counter++;
        weights.put(name, values, rows, cols);
        Weight cpuTable = cpu.loadMatrix(weights, List.of(name), List.of(rows), cols);
        Weight cudaTable = cuda.loadMatrix(weights, List.of(name), List.of(rows), cols);
        weights.remove(name);
        Tensor cpuOut = cpu.allocate(rows, cols);
        Tensor cudaOut = cuda.allocate(rows, cols);
        cpu.embed(cpuTable, batch, cpuOut);
        cuda.embed(cudaTable, batch, cudaOut);
        return new Pair<>(cpuOut, cudaOut);
    }

    /** A fresh random activation with values uniform in [-scale, scale). */
    Pair<Tensor> randomActivation(int rows, int cols, float scale, ForwardBatch batch) {
        return activation(uniform(rows * cols, scale), rows, cols, batch);
    }

    Pair<Tensor> allocate(int rows, int cols) {
        return new Pair<>(cpu.allocate(rows, cols), cuda.allocate(rows, cols));
    }

    /** ‖cuda − cpu‖ / ‖cpu‖ over the two tensors' host copies. */
    double relativeError(Pair<Tensor> tensors) {
        return relativeError(cuda.toHost(tensors.cuda()), cpu.toHost(tensors.cpu()));
    }

    static double relativeError(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError(actual.length + " values, expected " + expected.length);
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(actual[i])) {
                return Double.NaN;
            }
            diff += ((double) actual[i] - expected[i]) * ((double) actual[i] - expected[i]);
            norm += (double) expected[i] * expected[i];
        }
        return Math.sqrt(diff / norm);
    }

    float[] uniform(int count, float scale) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = scale * (2 * random.nextFloat() - 1);
        }
        return values;
    }

    /** A batch of {@code numTokens} tokens (ids 0..n-1) in one request, positions 0..n-1, slots 0..n-1. */
    static ForwardBatch simpleBatch(int numTokens) {
        int[] ids = java.util.stream.IntStream.range(0, numTokens).toArray();
        return new ForwardBatch(ids, ids.clone(), ids.clone(), new int[] {0, numTokens}, new int[] {numTokens},
                new int[] {0, 1}, new int[] {0}, new int[] {numTokens}, new int[0]);
    }

    @Override
    public void close() {
        cpu.close();
        cuda.close();
    }
}
