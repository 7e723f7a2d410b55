package dev.flood.backend.cuda;

import dev.flood.backend.Tensor;
import dev.flood.weights.DType;

/**
 * An activation {@code [rows, cols]} row-major in the step's workspace. Room for float32 is always reserved; the
 * element type is set by the operation that last wrote it ({@link CudaBackend} lists which op writes which),
 * and each op checks the types it reads. {@code dtype} is null until the first write.
 */
final class CudaTensor implements Tensor {

    private final DeviceSlice memory;
    private final int rows;
    private final int cols;
    private DType dtype;

    CudaTensor(DeviceSlice memory, int rows, int cols) {
        if (memory.bytes() < (long) rows * cols * Float.BYTES) {
            throw new IllegalArgumentException("[" + rows + ", " + cols + "] does not fit " + memory.bytes() + " bytes");
        }
        this.memory = memory;
        this.rows = rows;
        this.cols = cols;
    }

    static CudaTensor of(Tensor tensor) {
        if (tensor instanceof CudaTensor t) {
            return t;
        }
        throw new IllegalArgumentException("not a CUDA tensor: " + tensor);
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    long address() {
        return memory.address();
    }

    DeviceSlice memory() {
        return memory;
    }

    DType dtype() {
        return dtype;
    }

    /** Records what an op just wrote. */
    CudaTensor written(DType type) {
        this.dtype = type;
        return this;
    }

    /** Fails unless the tensor holds {@code type}; {@code use} names the reading op for the message. */
    CudaTensor require(DType type, String use) {
        if (dtype != type) {
            throw new IllegalArgumentException(use + " reads a " + type + " tensor, got "
                    + (dtype == null ? "one nothing has written" : dtype) + " [" + rows + ", " + cols + "]");
        }
        return this;
    }

    @Override
    public String toString() {
        return "CudaTensor[" + rows + ", " + cols + ", " + dtype + "]";
    }
}
