package dev.flood.backend.cuda;

/** When the CUDA backend looks for faults inside kernels. */
public enum LaunchChecking {
    /** Kernels run asynchronously; a fault surfaces at the step's next synchronization (fast). */
    ASYNC,
    /** The stream is synchronized after every launch, so a fault names the kernel that caused it (for tests). */
    SYNCHRONOUS
}
