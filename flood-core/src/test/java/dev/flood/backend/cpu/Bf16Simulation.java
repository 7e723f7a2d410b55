package dev.flood.backend.cpu;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.RotaryTable;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.weights.HalfFloats;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * The float32 CPU backend with the CUDA backend's bf16 roundings simulated, to predict how far its bf16 path may
 * sit from the float32 reference without a GPU: every input of {@link Backend#linear} and
 * {@link Backend#expertLinear} is rounded to bf16 (the GPU's GEMMs read bf16: the normed activations, the attention
 * output and the SiLU-gate output are stored bf16, a float32 input is rounded first), and the queries, keys and
 * values after rotary are rounded to bf16 (the KV cache is bf16 and attention reads bf16 queries), and so is the
 * gated MLP's gate/up product ({@link Backend#linearForActivation}, which the GPU writes in bf16). Products,
 * norms, softmaxes and the residual stay float32, as on the GPU.
 */
public final class Bf16Simulation {

    private Bf16Simulation() {
    }

    /** A backend that simulates the CUDA bf16 path on {@code threads} CPU threads. */
    public static Backend backend(int threads) {
        CpuBackend cpu = new CpuBackend(threads);
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    String name = method.getName();
                    if (name.equals("linear") || name.equals("expertLinear")) {
                        args[0] = rounded(CpuTensor.of(args[0]));
                    }
                    if (name.equals("linearForActivation")) {
                        Tensor out = (Tensor) args[2];
                        cpu.linear(rounded(CpuTensor.of(args[0])), (Weight) args[1], null, out);
                        roundInPlace(CpuTensor.of(out).data());
                        return null;
                    }
                    if (name.equals("rotaryWriteCache")) {
                        Tensor qkv = (Tensor) args[1];
                        cpu.rotary(qkv, (AttentionShape) args[2], (RotaryTable) args[3], (ForwardBatch) args[4]);
                        roundInPlace(CpuTensor.of(qkv).data());
                        cpu.writeCache((Integer) args[0], qkv, (AttentionShape) args[2], (ForwardBatch) args[4]);
                        return null;
                    }
                    try {
                        return method.invoke(cpu, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static Tensor rounded(CpuTensor x) {
        float[] values = x.data().clone();
        roundInPlace(values);
        return new CpuTensor(values, x.rows(), x.cols());
    }

    private static void roundInPlace(float[] values) {
        for (int i = 0; i < values.length; i++) {
            values[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i]));
        }
    }
}
