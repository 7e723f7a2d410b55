package dev.flood.backend.cuda;

import dev.flood.weights.DType;
import dev.flood.weights.HalfFloats;
import dev.flood.weights.TensorData;
import dev.flood.weights.WeightSource;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;

/**
 * Puts checkpoint tensors on the device: matrices as bf16 (stored bytes copied as they are when the checkpoint
 * is bf16, rounded to nearest even otherwise), vectors as float32. Owns every weight allocation.
 */
final class WeightUploader implements AutoCloseable {

    private final CudaDevice device;
    private final List<DeviceAllocation> allocations = new ArrayList<>();
    private long bytes;

    WeightUploader(CudaDevice device) {
        this.device = device;
    }

    /** Parts {@code [rowsPerPart[i], cols]} stacked by rows into one bf16 matrix. */
    CudaWeight matrix(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
        int rows = rowsPerPart.stream().mapToInt(Integer::intValue).sum();
        DeviceAllocation memory = allocate((long) rows * cols * 2, names.get(0));
        long offset = 0;
        for (int p = 0; p < names.size(); p++) {
            int partRows = rowsPerPart.get(p);
            long partBytes = (long) partRows * cols * 2;
            TensorData raw = source.loadRaw(names.get(p), partRows, cols);
            if (raw.data().remaining() != partBytes && raw.dtype() == DType.BF16) {
                throw new IllegalArgumentException("tensor " + names.get(p) + " holds " + raw.data().remaining()
                        + " bytes, expected " + partBytes);
            }
            DeviceSlice target = memory.whole().slice(offset, partBytes);
            if (raw.dtype() == DType.BF16) {
                // toBuffer, unlike to, starts at the buffer's position (JCuda 12.6)
                device.copyToDevice(target, Pointer.toBuffer(raw.data()), partBytes);
            } else {
                float[] values = source.loadFloats(names.get(p), partRows, cols);
                short[] rounded = new short[values.length];
                for (int i = 0; i < values.length; i++) {
                    rounded[i] = HalfFloats.floatToBf16(values[i]);
                }
                device.copyToDevice(target, Pointer.to(rounded), partBytes);
            }
            offset += partBytes;
        }
        return new CudaWeight(memory, rows, cols, DType.BF16);
    }

    /** Vectors concatenated into one float32 vector. */
    CudaWeight vector(WeightSource source, List<String> names, List<Integer> lengths) {
        int total = lengths.stream().mapToInt(Integer::intValue).sum();
        float[] values = new float[total];
        int offset = 0;
        for (int p = 0; p < names.size(); p++) {
            float[] part = source.loadFloats(names.get(p), lengths.get(p));
            System.arraycopy(part, 0, values, offset, part.length);
            offset += part.length;
        }
        DeviceAllocation memory = allocate((long) total * Float.BYTES, names.get(0));
        device.copyToDevice(memory.whole(), Pointer.to(values), (long) total * Float.BYTES);
        return new CudaWeight(memory, 1, total, DType.F32);
    }

    /** A float32 table (rotary cos/sin) on the device. */
    DeviceAllocation table(float[] values, String what) {
        DeviceAllocation memory = allocate((long) values.length * Float.BYTES, what);
        device.copyToDevice(memory.whole(), Pointer.to(values), (long) values.length * Float.BYTES);
        return memory;
    }

    /** Bytes of every weight and table uploaded. */
    long bytes() {
        return bytes;
    }

    /** Device memory owned with the weights (freed on close). */
    DeviceAllocation allocate(long size, String what) {
        DeviceAllocation memory = device.allocate(size, "weight " + what);
        allocations.add(memory);
        bytes += size;
        return memory;
    }

    @Override
    public void close() {
        for (DeviceAllocation memory : allocations) {
            device.free(memory);
        }
        allocations.clear();
        bytes = 0;
    }
}
