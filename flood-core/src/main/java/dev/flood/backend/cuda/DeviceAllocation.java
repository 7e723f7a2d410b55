package dev.flood.backend.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * A block of device memory from {@code cuMemAlloc}. JCuda keeps a pointer's value in a protected field; this
 * subclass reads it, so the address can be passed to kernels as a 64-bit parameter and to cuBLAS (through
 * JavaCPP) without copies.
 */
final class DeviceAllocation extends CUdeviceptr {

    private final long bytes;

    DeviceAllocation(long bytes) {
        this.bytes = bytes;
    }

    /** The device address (valid once cuMemAlloc has filled this pointer in). */
    long address() {
        return getNativePointer() + getByteOffset();
    }

    long bytes() {
        return bytes;
    }

    /** The whole allocation as a slice. */
    DeviceSlice whole() {
        return new DeviceSlice(this, 0, bytes);
    }
}
