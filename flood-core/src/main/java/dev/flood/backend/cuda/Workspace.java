package dev.flood.backend.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * Device memory for one step's activations and scratch: a bump allocator that {@link #reset()} empties at the
 * start of every step that uses it (each step slot has its own, {@link StepSlot}). Normally one block, sized up
 * front ({@link #reserve}); a step that needs more takes extra blocks as it goes, and the next reset (once that
 * step has finished) replaces them all with one block of the total, so steady state is one block and no
 * allocation per step.
 */
final class Workspace implements AutoCloseable {

    /** Every slice starts on a 256-byte boundary (cuBLAS and vector loads want 16; 256 keeps rows apart). */
    static final long ALIGNMENT = 256;
    private static final long MIN_BLOCK_BYTES = 64L << 20;

    private final CudaDevice device;
    private final List<DeviceAllocation> blocks = new ArrayList<>();
    private long usedInLast;
    private long stepBytes;
    private long peakStepBytes;

    Workspace(CudaDevice device) {
        this.device = device;
    }

    /** Makes the workspace one block of at least {@code bytes}. Only while no step uses it. */
    void reserve(long bytes) {
        if (blocks.size() == 1 && blocks.get(0).bytes() >= bytes) {
            return;
        }
        freeBlocks();
        blocks.add(device.allocate(bytes, "the step workspace"));
        usedInLast = 0;
    }

    /** {@code bytes} of device memory valid until the next {@link #reset()}; contents undefined. */
    DeviceSlice take(long bytes, String what) {
        long aligned = roundUp(Math.max(bytes, 1), ALIGNMENT);
        if (blocks.isEmpty() || usedInLast + aligned > blocks.get(blocks.size() - 1).bytes()) {
            // only what this take needs (at least 64 MiB): the GPU memory beside the KV cache is a few GiB, and
            // a block the size of the last (the whole step's reserve) would not fit there
            long size = Math.max(aligned, MIN_BLOCK_BYTES);
            blocks.add(device.allocate(size, "the step workspace (" + what + ")"));
            usedInLast = 0;
        }
        DeviceAllocation block = blocks.get(blocks.size() - 1);
        DeviceSlice slice = new DeviceSlice(block, usedInLast, bytes);
        usedInLast += aligned;
        stepBytes += aligned;
        peakStepBytes = Math.max(peakStepBytes, stepBytes);
        return slice;
    }

    /** Starts a new step: everything taken is released. The step that used it last must have finished. */
    void reset() {
        if (blocks.size() > 1) {
            long total = blocks.stream().mapToLong(DeviceAllocation::bytes).sum();
            freeBlocks();
            blocks.add(device.allocate(total, "the step workspace"));
        }
        usedInLast = 0;
        stepBytes = 0;
    }

    long capacityBytes() {
        return blocks.stream().mapToLong(DeviceAllocation::bytes).sum();
    }

    /** The most any step has taken. */
    long peakStepBytes() {
        return peakStepBytes;
    }

    static long roundUp(long value, long multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }

    private void freeBlocks() {
        for (DeviceAllocation block : blocks) {
            device.free(block);
        }
        blocks.clear();
    }

    @Override
    public void close() {
        freeBlocks();
    }
}
