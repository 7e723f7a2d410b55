package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.check;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;

/**
 * Page-locked host memory that one step's results (drawn tokens, statuses, log-probabilities, logits rows
 * sampled on the host) are copied into asynchronously, in stream order, and read once the step has finished.
 * Each step sizes it once ({@link #begin}) before any copy, so it never moves while copies into it are queued.
 *
 * <p>Threads: the thread running steps queues the copies; the engine thread reads a finished step's results
 * ({@link #view}); the step's slot is reused, and this memory rewritten, only after the engine collected them.
 */
final class PinnedReadback implements AutoCloseable {

    private static final long ALIGNMENT = 16;

    private final CudaDevice device;
    private Pointer host;
    private ByteBuffer buffer;
    private long used;

    PinnedReadback(CudaDevice device) {
        this.device = device;
        allocate(1 << 16);
    }

    /** Starts a step's results of at most {@code bytes} (parts aligned to 16 bytes each count their padding). */
    void begin(long bytes) {
        if (bytes > buffer.capacity()) {
            // the slot's previous results were read before it was reused, so nothing still refers to this memory
            check(cuMemFreeHost(host), "cuMemFreeHost");
            allocate(Math.max(bytes, 2L * buffer.capacity()));
        }
        used = 0;
    }

    /** Bytes {@link #begin} must reserve for parts of these sizes. */
    static long reserve(long... partBytes) {
        long total = 0;
        for (long part : partBytes) {
            total += Workspace.roundUp(part, ALIGNMENT);
        }
        return total;
    }

    /** Queues a copy of {@code bytes} from {@code source} into the next part; returns the part's offset. */
    long copyFrom(DeviceSlice source, long bytes) {
        long offset = used;
        if (offset + bytes > buffer.capacity()) {
            throw new IllegalStateException("step results of " + (offset + bytes) + " bytes exceed the "
                    + buffer.capacity() + " reserved");
        }
        if (bytes > 0) {
            device.copyToHostAsync(host.withByteOffset(offset), source, bytes);
        }
        used = Workspace.roundUp(offset + bytes, ALIGNMENT);
        return offset;
    }

    /** The results, little-endian; read with absolute gets at the offsets {@link #copyFrom} returned. */
    ByteBuffer view() {
        return buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    private void allocate(long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("step results of " + bytes + " bytes exceed the 2 GiB readback limit");
        }
        host = new Pointer();
        check(cuMemHostAlloc(host, bytes, 0), "cuMemHostAlloc of " + bytes + " bytes");
        buffer = host.getByteBuffer(0, bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() {
        check(cuMemFreeHost(host), "cuMemFreeHost");
    }
}
