package dev.flood.backend.cuda;

/**
 * Where the CUDA backend's device memory goes, in bytes, from {@link CudaBackend#memory()}.
 *
 * @param weightBytes        weights and tables (rotary cos/sin)
 * @param cacheBytes         the KV cache slabs
 * @param workspaceBytes     the step workspace as allocated now
 * @param workspacePeakBytes the most workspace one step has used
 * @param devicePeakBytes    the device's memory in use (total minus free, every client and the CUDA context
 *                           included) at its highest seen: sampled after each allocation and at each step start
 * @param deviceTotalBytes   the device's memory
 */
public record CudaMemoryReport(long weightBytes, long cacheBytes, long workspaceBytes, long workspacePeakBytes,
                               long devicePeakBytes, long deviceTotalBytes) {
}
