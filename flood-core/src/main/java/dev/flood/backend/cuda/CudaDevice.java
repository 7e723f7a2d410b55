package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.check;
import static jcuda.driver.JCudaDriver.cuCtxEnablePeerAccess;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceCanAccessPeer;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxReset;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyPeerAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;

import dev.flood.api.FloodException;
import dev.flood.backend.OutOfDeviceMemoryException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUevent;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * One GPU as the backend uses it: its primary context (shared with the CUDA runtime, so cuBLAS sees the same
 * memory), one stream that every kernel, copy and GEMM of the backend runs on in order, and device memory with
 * a running account of how much is in use. Calls from any thread first make the context current there. Opening
 * resets a primary context left faulted by a sticky error ({@link #resetIfFaulted}).
 */
final class CudaDevice implements AutoCloseable {

    private static final double GIB = 1024.0 * 1024 * 1024;
    /** Held while a device's primary context is retained and probed (see {@link #resetIfFaulted}). */
    private static final Object OPENING = new Object();

    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final AddressedStream stream = new AddressedStream();
    private final String name;
    private final int multiprocessors;
    private final int computeCapability;
    private volatile long peakUsedBytes;   // written by the thread running steps, read by the engine thread
    private final Set<Integer> peers = new HashSet<>();   // ordinals whose memory this context may read directly

    /** A stream whose raw handle can be handed to cuBLAS. */
    static final class AddressedStream extends CUstream {
        long address() {
            return getNativePointer();
        }
    }

    private CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        check(cuInit(0), "cuInit");
        int[] count = new int[1];
        check(cuDeviceGetCount(count), "cuDeviceGetCount");
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new FloodException("CUDA device " + ordinal + " does not exist; this machine has " + count[0]
                    + " CUDA device(s)");
        }
        check(cuDeviceGet(device, ordinal), "cuDeviceGet");
        synchronized (OPENING) {
            check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
            bind();
            resetIfFaulted();
        }
        // A blocking stream: it waits for work on the legacy default stream, where the synchronous copies of
        // weights and tables run (a pageable copy can return before its DMA lands).
        check(cuStreamCreate(stream, CUstream_flags.CU_STREAM_DEFAULT), "cuStreamCreate");
        this.name = deviceName(device);
        this.multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        this.computeCapability = 10 * attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                + attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        if (computeCapability < 80) {
            throw new FloodException("CUDA device " + ordinal + " (" + name + ") has compute capability "
                    + computeCapability / 10 + "." + computeCapability % 10 + "; Flood's kernels need 8.0 or newer");
        }
        notePeak();
    }

    /**
     * A sticky error (an illegal address, a trap in a kernel) leaves the process's primary context refusing every
     * call until it is reset, so an engine healing from such a fault opens its backends again through here. Probes
     * the context ({@code cuCtxSynchronize}); if it has faulted, resets it ({@code cuDevicePrimaryCtxReset}, which
     * destroys every allocation in it: each of its users lost its memory with the fault already), then takes a
     * fresh one. Callers hold {@link #OPENING}, so a context that another opener has just reset stays alive.
     */
    private void resetIfFaulted() {
        int probe = cuCtxSynchronize();
        if (probe == CUresult.CUDA_SUCCESS) {
            return;
        }
        check(cuDevicePrimaryCtxReset(device), "cuDevicePrimaryCtxReset of device " + ordinal + " after "
                + CUresult.stringFor(probe));
        check(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease after the reset");
        check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain after the reset");
        bind();
        check(cuCtxSynchronize(), "cuCtxSynchronize after resetting device " + ordinal + " (it had failed with "
                + CUresult.stringFor(probe) + ")");
    }

    /**
     * Opens device {@code ordinal}. Fails with a message that says why the CUDA backend cannot run here when the
     * JCuda natives or the NVIDIA driver are missing.
     */
    static CudaDevice open(int ordinal) {
        try {
            return new CudaDevice(ordinal);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            // JCuda's message carries nested stack traces; they stay in the cause.
            throw new FloodException("the CUDA backend is unavailable: JCuda's driver binding could not be loaded;"
                    + " is an NVIDIA driver (libcuda.so.1) installed? (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** The name of GPU {@code ordinal} (e.g. {@code NVIDIA H200}), read without opening a context on it. */
    static String name(int ordinal) {
        try {
            check(cuInit(0), "cuInit");
            CUdevice device = new CUdevice();
            check(cuDeviceGet(device, ordinal), "cuDeviceGet " + ordinal);
            return deviceName(device);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new FloodException("the CUDA backend is unavailable: JCuda's driver binding could not be loaded;"
                    + " is an NVIDIA driver (libcuda.so.1) installed? (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    private static String deviceName(CUdevice device) {
        byte[] nameBytes = new byte[256];
        check(cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
        int length = 0;
        while (length < nameBytes.length && nameBytes[length] != 0) {
            length++;
        }
        return new String(nameBytes, 0, length, StandardCharsets.UTF_8);
    }

    private int attribute(int attribute) {
        int[] value = new int[1];
        check(cuDeviceGetAttribute(value, attribute, device), "cuDeviceGetAttribute " + attribute);
        return value[0];
    }

    /** Makes this device's context current on the calling thread. */
    void bind() {
        check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    AddressedStream stream() {
        return stream;
    }

    /** Allocates {@code bytes} of device memory; running out names what was asked for and what is free. */
    DeviceAllocation allocate(long bytes, String what) {
        bind();
        DeviceAllocation allocation = new DeviceAllocation(bytes);
        int result = cuMemAlloc(allocation, Math.max(bytes, 1));
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new OutOfDeviceMemoryException(String.format("out of GPU memory on device %d (%s): %s needs %.2f GiB, %.2f GiB"
                    + " free of %.2f GiB", ordinal, name, what, bytes / GIB, freeBytes() / GIB, totalBytes() / GIB));
        }
        check(result, "cuMemAlloc of " + bytes + " bytes for " + what);
        notePeak();
        return allocation;
    }

    void free(DeviceAllocation allocation) {
        check(cuMemFree(allocation), "cuMemFree");
    }

    /** Copies host memory to the device, waiting for the copy (weights, tables). */
    void copyToDevice(DeviceSlice target, Pointer source, long bytes) {
        check(cuMemcpyHtoD(target.pointer(), source, bytes), "cuMemcpyHtoD of " + bytes + " bytes");
    }

    /** Queues a copy from pinned host memory on the stream; the host memory must stay untouched until it runs. */
    void copyToDeviceAsync(DeviceSlice target, Pointer pinnedSource, long bytes) {
        check(cuMemcpyHtoDAsync(target.pointer(), pinnedSource, bytes, stream), "cuMemcpyHtoDAsync of " + bytes + " bytes");
    }

    /** Sets {@code target} (a multiple of 4 bytes) to zero, waiting for it. */
    void zero(DeviceSlice target) {
        check(cuMemsetD32(target.pointer(), 0, target.bytes() / 4), "cuMemsetD32 of " + target.bytes() + " bytes");
    }

    /** Queues on the stream the zeroing of {@code target}. */
    void zeroAsync(DeviceSlice target) {
        check(cuMemsetD8Async(target.pointer(), (byte) 0, target.bytes(), stream),
                "cuMemsetD8Async of " + target.bytes() + " bytes");
    }

    /** Waits for the stream, then copies device memory to the host. */
    void copyToHost(Pointer target, DeviceSlice source, long bytes) {
        synchronize("the step's kernels");
        check(cuMemcpyDtoH(target, source.pointer(), bytes), "cuMemcpyDtoH of " + bytes + " bytes");
    }

    /** Queues a copy from device memory to pinned host memory on the stream. */
    void copyToHostAsync(Pointer pinnedTarget, DeviceSlice source, long bytes) {
        check(cuMemcpyDtoHAsync(pinnedTarget, source.pointer(), bytes, stream), "cuMemcpyDtoHAsync of " + bytes + " bytes");
    }

    /**
     * Queues on this device's stream a copy of {@code bytes} from {@code source}, memory of {@code sourceDevice}
     * (this device or another GPU), to {@code target} on this device: a device-to-device copy on the same GPU, a
     * peer copy across GPUs (direct where {@link #enablePeerAccess} succeeded, staged by the driver otherwise).
     */
    void copyFromAsync(DeviceSlice target, CudaDevice sourceDevice, DeviceSlice source, long bytes) {
        if (sourceDevice.ordinal == ordinal) {
            check(cuMemcpyDtoDAsync(target.pointer(), source.pointer(), bytes, stream),
                    "cuMemcpyDtoDAsync of " + bytes + " bytes");
        } else {
            check(cuMemcpyPeerAsync(target.pointer(), context, source.pointer(), sourceDevice.context, bytes, stream),
                    "cuMemcpyPeerAsync of " + bytes + " bytes from device " + sourceDevice.ordinal);
        }
    }

    /**
     * Lets this device's context read {@code peer}'s memory directly, where the GPUs allow it (NVLink or PCIe
     * peer-to-peer). Tried once per peer; a pair without peer access still copies through {@link #copyFromAsync}.
     */
    void enablePeerAccess(CudaDevice peer) {
        if (peer.ordinal == ordinal || !peers.add(peer.ordinal)) {
            return;
        }
        int[] canAccess = new int[1];
        check(cuDeviceCanAccessPeer(canAccess, device, peer.device), "cuDeviceCanAccessPeer");
        if (canAccess[0] == 0) {
            return;
        }
        bind();
        int result = cuCtxEnablePeerAccess(peer.context, 0);
        if (result != CUresult.CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED) {
            check(result, "cuCtxEnablePeerAccess from device " + ordinal + " to " + peer.ordinal);
        }
    }

    /** Makes work queued on the stream from now on wait until {@code event} (of any device) has completed. */
    void waitFor(CUevent event) {
        check(cuStreamWaitEvent(stream, event, 0), "cuStreamWaitEvent");
    }

    /** Waits until everything queued on the stream has run; a fault in any of it is reported here. */
    void synchronize(String what) {
        check(cuStreamSynchronize(stream), "cuStreamSynchronize after " + what);
    }

    long freeBytes() {
        long[] free = new long[1];
        long[] total = new long[1];
        check(cuMemGetInfo(free, total), "cuMemGetInfo");
        return free[0];
    }

    long totalBytes() {
        long[] free = new long[1];
        long[] total = new long[1];
        check(cuMemGetInfo(free, total), "cuMemGetInfo");
        return total[0];
    }

    /** Records the device's memory in use (by any client) if it is the most seen so far. */
    void notePeak() {
        long[] free = new long[1];
        long[] total = new long[1];
        check(cuMemGetInfo(free, total), "cuMemGetInfo");
        peakUsedBytes = Math.max(peakUsedBytes, total[0] - free[0]);
    }

    long peakUsedBytes() {
        return peakUsedBytes;
    }

    int ordinal() {
        return ordinal;
    }

    String name() {
        return name;
    }

    int multiprocessors() {
        return multiprocessors;
    }

    int computeCapability() {
        return computeCapability;
    }

    /** Destroys the stream and releases the context, the latter even when a fault makes the former fail. */
    @Override
    public void close() {
        try {
            bind();
            check(cuStreamDestroy(stream), "cuStreamDestroy");
        } finally {
            check(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
        }
    }
}
