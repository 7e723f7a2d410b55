package dev.flood.backend.cuda;

import dev.flood.backend.Weight;
import dev.flood.weights.DType;

/**
 * A parameter on the device: matrices in bf16 (GEMM and embedding operands), vectors (norm weights, biases) in
 * float32. Row-major {@code [rows, cols]}; a vector has one row.
 */
record CudaWeight(DeviceAllocation memory, int rows, int cols, DType dtype) implements Weight {

    static CudaWeight of(Weight weight) {
        if (weight instanceof CudaWeight w) {
            return w;
        }
        throw new IllegalArgumentException("not a CUDA weight: " + weight);
    }

    long address() {
        return memory.address();
    }

    @Override
    public DType storageType() {
        return dtype;
    }

    CudaWeight require(DType type, String use) {
        if (dtype != type) {
            throw new IllegalArgumentException(use + " needs a " + type + " weight, got " + dtype + " [" + rows + ", "
                    + cols + "]");
        }
        return this;
    }
}
