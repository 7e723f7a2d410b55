package dev.flood.backend.cuda;

import dev.flood.api.FloodException;

/**
 * Which GPUs run Flood's FP8 products. They need FP8 tensor cores (compute capability 8.9 and newer) and
 * cuBLASLt's per-channel (outer-vector) and 128-block scaling, which cuBLAS 12.9+ offers on Hopper (9.0); on Ada
 * (8.9) cuBLASLt scales FP8 products per tensor only. Pure arithmetic, tested without a GPU.
 */
final class Fp8Support {

    private Fp8Support() {
    }

    static boolean available(int computeCapability) {
        return computeCapability / 10 == 9;
    }

    /** Fails with the reason when FP8 was asked for on a GPU that cannot run it. */
    static void require(int computeCapability, String device) {
        if (available(computeCapability)) {
            return;
        }
        String version = computeCapability / 10 + "." + computeCapability % 10;
        if (computeCapability < 89) {
            throw new FloodException("quantization fp8 needs FP8 tensor cores, which " + device
                    + " (compute capability " + version + ") lacks: they start with compute capability 8.9; use"
                    + " quantization none (bf16)");
        }
        if (computeCapability == 89) {
            throw new FloodException("quantization fp8 needs cuBLASLt's per-channel and 128-block FP8 scaling, which"
                    + " it offers on Hopper (compute capability 9.0); on " + device + " (8.9) it scales per tensor"
                    + " only; use quantization none (bf16)");
        }
        throw new FloodException("quantization fp8 runs Flood's Hopper FP8 path (compute capability 9.0); " + device
                + " has compute capability " + version + "; use quantization none (bf16)");
    }
}
