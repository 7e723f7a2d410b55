package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.check;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;

/**
 * Page-locked host memory that per-step data (token ids, positions, slots, attention plans, sampling parameters)
 * is written into and copied from asynchronously, in stream order, into the workspace. A bump allocator like the
 * workspace, one per step slot: {@link #reset()} at the start of each step that uses it, once the step that used
 * it last has finished and its copies are done.
 *
 * <p>A step that outgrows the buffer moves on to a larger one without waiting: the old one stays allocated until
 * the next {@link #reset()}, since the step's earlier copies (or a graph captured from them, {@link DecodeGraphs})
 * still read it. So nothing here synchronizes, which a step being captured must not do.
 */
final class PinnedStaging implements AutoCloseable {

    private static final long PART_ALIGNMENT = 16;

    private final CudaDevice device;
    private Pointer host = new Pointer();
    private final List<Pointer> retired = new ArrayList<>();   // outgrown buffers this step's copies may read
    private ByteBuffer buffer;
    private long used;

    PinnedStaging(CudaDevice device, long initialBytes) {
        this.device = device;
        allocateHost(initialBytes);
    }

    /**
     * Copies each part to the device (into {@code workspace}), each 16-byte aligned; returns one slice per part.
     * The copies run in stream order, before any kernel launched after this call.
     */
    DeviceSlice[] upload(Workspace workspace, int[]... parts) {
        long[] offsets = new long[parts.length];
        long total = 0;
        for (int p = 0; p < parts.length; p++) {
            offsets[p] = total;
            total = Workspace.roundUp(total + 4L * parts[p].length, PART_ALIGNMENT);
        }
        long start = claim(total);
        for (int p = 0; p < parts.length; p++) {
            buffer.position((int) (start + offsets[p]));
            buffer.asIntBuffer().put(parts[p]);
        }
        DeviceSlice target = workspace.take(total, "step metadata");
        if (total > 0) {
            device.copyToDeviceAsync(target, host.withByteOffset(start), total);
        }
        DeviceSlice[] slices = new DeviceSlice[parts.length];
        for (int p = 0; p < parts.length; p++) {
            slices[p] = target.slice(offsets[p], 4L * parts[p].length);
        }
        return slices;
    }

    /** Copies the bytes of {@code bytes} from its position to its limit to the device (into {@code workspace}). */
    DeviceSlice upload(Workspace workspace, ByteBuffer bytes) {
        long length = bytes.remaining();
        long start = claim(length);
        buffer.position((int) start);
        buffer.put(bytes.duplicate());
        DeviceSlice target = workspace.take(length, "step parameters");
        if (length > 0) {
            device.copyToDeviceAsync(target, host.withByteOffset(start), length);
        }
        return target;
    }

    /** Starts a new step. The step that used this staging last must have finished. */
    void reset() {
        freeRetired();
        used = 0;
    }

    private long claim(long bytes) {
        long start = Workspace.roundUp(used, PART_ALIGNMENT);
        if (start + bytes > buffer.capacity()) {
            retired.add(host);
            allocateHost(Math.max(2L * buffer.capacity(), bytes));
            start = 0;
        }
        used = start + bytes;
        return start;
    }

    private void allocateHost(long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("step data of " + bytes + " bytes exceeds the 2 GiB staging limit");
        }
        host = new Pointer();
        check(cuMemHostAlloc(host, bytes, 0), "cuMemHostAlloc of " + bytes + " bytes");
        buffer = host.getByteBuffer(0, bytes).order(ByteOrder.LITTLE_ENDIAN);
        used = 0;
    }

    private void freeRetired() {
        for (Pointer old : retired) {
            check(cuMemFreeHost(old), "cuMemFreeHost");
        }
        retired.clear();
    }

    @Override
    public void close() {
        freeRetired();
        check(cuMemFreeHost(host), "cuMemFreeHost");
    }
}
