package dev.flood.backend.cpu;

import dev.flood.backend.Backend;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.testing.Fp8Reference;
import dev.flood.weights.HalfFloats;
import dev.flood.weights.WeightSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The float32 CPU backend with the CUDA FP8 path's roundings simulated, to predict its accuracy without a GPU:
 * linear weights quantized at load and dequantized ({@link Layout#PER_CHANNEL}: one scale per row, as a bf16
 * checkpoint quantized by Flood; {@link Layout#BLOCK_128}: one per 128 x 128 block, as transformers' fp8
 * checkpoints), and each linear input rounded to bf16 then quantized per row (per row and 128-column group with
 * block weights) and dequantized before the product, as the GPU quantizes its bf16 activations. Products stay
 * float32 (the GPU accumulates in float32 too).
 */
public final class Fp8Simulation {

    /** Which FP8 layout to simulate. */
    public enum Layout { PER_CHANNEL, BLOCK_128 }

    private Fp8Simulation() {
    }

    /** A backend that simulates FP8 linear layers on {@code threads} CPU threads. */
    public static Backend backend(int threads, Layout layout) {
        CpuBackend cpu = new CpuBackend(threads);
        Set<Weight> quantized = Collections.newSetFromMap(new IdentityHashMap<>());
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("loadLinear")) {
                        Weight w = loadQuantized(cpu, layout, args);
                        quantized.add(w);
                        return w;
                    }
                    String name = method.getName();
                    if ((name.equals("linear") || name.equals("linearForActivation"))
                            && quantized.contains((Weight) args[1])) {
                        // FP8 products write float32, the gate/up one too (CudaBackend.linearForActivation).
                        args[0] = quantizedInput(CpuTensor.of(args[0]), layout);
                    }
                    try {
                        return method.invoke(cpu, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @SuppressWarnings("unchecked")
    private static Weight loadQuantized(CpuBackend cpu, Layout layout, Object[] args) {
        CpuTensor w = CpuTensor.of(cpu.loadMatrix((WeightSource) args[0], (List<String>) args[1],
                (List<Integer>) args[2], (Integer) args[3]));
        int rows = w.rows();
        int cols = w.cols();
        float[] values;
        if (layout == Layout.PER_CHANNEL) {
            values = Fp8Reference.rows(w.data(), rows, cols).dequantize(i -> i / cols);
        } else {
            int blockCols = (cols + Fp8Reference.GROUP - 1) / Fp8Reference.GROUP;
            values = Fp8Reference.blocks(w.data(), rows, cols).dequantize(
                    i -> (i / cols) / Fp8Reference.GROUP * blockCols + (i % cols) / Fp8Reference.GROUP);
        }
        return new CpuTensor(values, rows, cols);
    }

    private static Tensor quantizedInput(CpuTensor x, Layout layout) {
        int rows = x.rows();
        int cols = x.cols();
        float[] bf16 = new float[x.data().length];
        for (int i = 0; i < bf16.length; i++) {
            bf16[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x.data()[i]));
        }
        float[] values = layout == Layout.PER_CHANNEL
                ? Fp8Reference.rows(bf16, rows, cols).dequantize(i -> i / cols)
                : Fp8Reference.groups(bf16, rows, cols).dequantize(
                        i -> (i % cols) / Fp8Reference.GROUP * rows + i / cols);
        return new CpuTensor(values, rows, cols);
    }
}
