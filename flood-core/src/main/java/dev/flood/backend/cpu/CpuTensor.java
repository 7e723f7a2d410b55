package dev.flood.backend.cpu;

import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;

/** A float32 array {@code [rows, cols]} row-major: the CPU backend's activations and weights alike. */
record CpuTensor(float[] data, int rows, int cols) implements Tensor, Weight {

    CpuTensor {
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("[" + rows + ", " + cols + "] does not match " + data.length + " floats");
        }
    }

    CpuTensor(int rows, int cols) {
        this(new float[Math.multiplyExact(rows, cols)], rows, cols);
    }

    static CpuTensor of(Object tensorOrWeight) {
        if (tensorOrWeight instanceof CpuTensor t) {
            return t;
        }
        throw new IllegalArgumentException("not a CPU tensor: " + tensorOrWeight);
    }
}
