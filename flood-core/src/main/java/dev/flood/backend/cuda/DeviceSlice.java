package dev.flood.backend.cuda;

import jcuda.driver.CUdeviceptr;

/** {@code bytes} bytes of device memory at {@code offset} into {@code allocation}. */
record DeviceSlice(DeviceAllocation allocation, long offset, long bytes) {

    DeviceSlice {
        if (offset < 0 || bytes < 0 || offset + bytes > allocation.bytes()) {
            throw new IllegalArgumentException("slice [" + offset + ", " + (offset + bytes) + ") outside an allocation of "
                    + allocation.bytes() + " bytes");
        }
    }

    long address() {
        return allocation.address() + offset;
    }

    /** The slice's start as a JCuda pointer, for copies. */
    CUdeviceptr pointer() {
        return allocation.withByteOffset(offset);
    }

    DeviceSlice slice(long from, long length) {
        if (from < 0 || length < 0 || from + length > bytes) {
            throw new IllegalArgumentException("sub-slice [" + from + ", " + (from + length) + ") outside " + bytes
                    + " bytes");
        }
        return new DeviceSlice(allocation, offset + from, length);
    }
}
