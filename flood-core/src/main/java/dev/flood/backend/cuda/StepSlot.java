package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.check;
import static jcuda.driver.JCudaDriver.cuMemsetD32;

/**
 * The buffers of one step in flight: its workspace (activations, scratch, metadata), pinned staging for the
 * step's data going to the device, pinned readback for its results coming back, a fixed device buffer for the
 * tokens it draws (which the next step's embedding reads), and an event marking the step's end on the stream.
 *
 * <p>A backend with {@code n} slots uses them in turn, so a slot is reused by the step {@code n} after its last
 * user; {@link #reuse} first waits for that step's end event, not for the whole device. The drawn-token buffer is
 * fixed for the slot's life (its address can be baked into captured work): the next step may still be reading it
 * while this slot's previous step is long done.
 *
 * <p>Threads: the thread running steps does everything here but {@link #awaitFinished} and reading the readback,
 * which the engine thread does for a step whose results it collects.
 */
final class StepSlot implements AutoCloseable {

    final Workspace workspace;
    final PinnedStaging staging;
    final PinnedReadback readback;
    private final CudaDevice device;
    private final DeviceEvent finished;
    private final DeviceEvent handedOff;   // after the activations this slot's step hands to the next stage
    private DeviceAllocation drawn;      // [2 x capacity] int32: drawn tokens, then their sampling status
    private int capacity;
    private long uses;                   // steps begun on this slot

    StepSlot(CudaDevice device, int drawCapacity) {
        this.device = device;
        this.workspace = new Workspace(device);
        this.staging = new PinnedStaging(device, 1L << 20);
        this.readback = new PinnedReadback(device);
        this.finished = new DeviceEvent(device);
        this.handedOff = new DeviceEvent(device);
        allocateDrawn(Math.max(1, drawCapacity));
    }

    /** Starts the slot's next step: waits for its previous step to end on the device, then empties its buffers. */
    long reuse() {
        finished.synchronize("the step that last used these step buffers");
        workspace.reset();
        staging.reset();
        return ++uses;
    }

    /** Marks the end of the slot's step on the stream. */
    void markFinished() {
        finished.record();
    }

    /**
     * Marks, and returns, the point after which the activations the slot's step hands to the next stage are
     * written. The next stage's stream waits for it before copying them; it is recorded again only when the slot
     * is reused, after the engine collected this step, which comes after that copy.
     */
    DeviceEvent recordHandoff() {
        handedOff.record();
        return handedOff;
    }

    /**
     * On the engine thread: waits until step {@code use} of this slot has finished on the device. Fails if the
     * slot was reused since, which would mean its results were already overwritten.
     */
    void awaitFinished(long use) {
        if (use != uses) {
            throw new IllegalStateException("step results read after their buffers were reused (use " + use + ", now "
                    + uses + ")");
        }
        device.bind();
        finished.synchronize("a step whose results are collected");
    }

    /** Device memory for {@code rows} drawn tokens, then their statuses; grows (waiting for the device) if needed. */
    DeviceSlice drawn(int rows) {
        if (rows > capacity) {
            // a step larger than the slots were prepared for: the whole stream idles before the old buffer goes
            device.synchronize("growing the drawn-token buffer");
            device.free(drawn);
            allocateDrawn(Math.max(rows, 2 * capacity));
        }
        return drawn.whole();
    }

    int drawCapacity() {
        return capacity;
    }

    private void allocateDrawn(int rows) {
        drawn = device.allocate(2L * rows * Integer.BYTES, "drawn tokens of a step");
        // zeros: a step that reads this buffer before any draw was written to it (its source failed) reads token 0
        check(cuMemsetD32(drawn, 0, 2L * rows), "cuMemsetD32");
        capacity = rows;
    }

    @Override
    public void close() {
        finished.close();
        handedOff.close();
        device.free(drawn);
        workspace.close();
        staging.close();
        readback.close();
    }
}
