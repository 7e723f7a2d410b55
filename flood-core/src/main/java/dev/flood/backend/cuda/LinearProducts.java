package dev.flood.backend.cuda;

import dev.flood.backend.Weight;
import dev.flood.weights.DType;

/**
 * The backend's linear layers on the device: a bf16 weight's product through {@link Blas}, an FP8 weight's through
 * {@link Fp8Linear}, the bias after it, and the residual add that the output projections make
 * ({@link #runAdding}), in the GEMM's epilogue where it can be. Activations may come float32 (rounded to bf16 in
 * the step's workspace first) or bf16. On the backend's stream; the engine's step thread.
 */
final class LinearProducts {

    private final Kernels kernels;
    private final Blas blas;
    private final Fp8Linear fp8;
    private final StepSlots slots;

    LinearProducts(Kernels kernels, Blas blas, Fp8Linear fp8, StepSlots slots) {
        this.kernels = kernels;
        this.blas = blas;
        this.fp8 = fp8;
        this.slots = slots;
    }

    /**
     * {@code out [n, outFeatures] = x · weightᵀ (+ bias)} written as {@code outType} (float32, or bf16 for a bf16
     * weight's product whose reader takes bf16; FP8 weights write float32).
     */
    void run(CudaTensor x, Weight weight, Weight bias, CudaTensor out, DType outType) {
        if (weight instanceof Fp8Weight quantized) {
            fp8.run(x, quantized, bias == null ? null : CudaWeight.of(bias), out);
            return;
        }
        CudaWeight w = CudaWeight.of(weight).require(DType.BF16, "linear");
        checkShapes(x, w, out);
        blas.matmul(bf16Input(x), w.address(), out.address(), x.rows(), x.cols(), w.rows(), outType);
        if (bias != null) {
            CudaWeight b = CudaWeight.of(bias).require(DType.F32, "linear bias");
            StepChecks.vector("linear bias", b, w.rows());
            kernels.addBias(out.address(), b.address(), out.rows(), out.cols());
        }
        out.written(outType);
    }

    /**
     * {@code residual += x · weightᵀ (+ bias)}, residual float32. Without a bias the GEMM adds its product in its
     * epilogue (beta = 1, C = D = residual; FP8 where cuBLASLt allows it): the float32 sum a separate add would
     * form, without writing the product out and reading it back. Otherwise the product goes to {@code scratch}
     * (float32, the residual's shape) and is added from there.
     */
    void runAdding(CudaTensor x, Weight weight, Weight bias, CudaTensor scratch, CudaTensor residual) {
        residual.require(DType.F32, "linearAdd residual");
        if (bias == null && weight instanceof Fp8Weight quantized) {
            if (fp8.runAdding(x, quantized, residual)) {
                return;
            }
        } else if (bias == null) {
            CudaWeight w = CudaWeight.of(weight).require(DType.BF16, "linearAdd");
            checkShapes(x, w, residual);
            blas.matmulAdd(bf16Input(x), w.address(), residual.address(), x.rows(), x.cols(), w.rows());
            return;
        }
        run(x, weight, bias, scratch, DType.F32);
        StepChecks.shape("linearAdd scratch", scratch, residual.rows(), residual.cols());
        kernels.addF32(residual.address(), scratch.address(), (long) residual.rows() * residual.cols());
    }

    private static void checkShapes(CudaTensor in, CudaWeight w, CudaTensor out) {
        if (w.cols() != in.cols() || out.cols() != w.rows() || out.rows() != in.rows()) {
            throw new IllegalArgumentException("linear: x [" + in.rows() + ", " + in.cols() + "] weight [" + w.rows()
                    + ", " + w.cols() + "] out [" + out.rows() + ", " + out.cols() + "]");
        }
    }

    /** The address of {@code in} in bf16: itself, or a rounded copy in the step's workspace if it is float32. */
    private long bf16Input(CudaTensor in) {
        if (in.dtype() != DType.F32) {
            in.require(DType.BF16, "linear");
            return in.address();
        }
        long count = (long) in.rows() * in.cols();
        long input = slots.current().workspace.take(count * 2, "bf16 copy of a linear input").address();
        kernels.toBf16(in.address(), input, count);
        return input;
    }
}
