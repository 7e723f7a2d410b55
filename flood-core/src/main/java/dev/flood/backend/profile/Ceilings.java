package dev.flood.backend.profile;

/**
 * What the device measured it can do, for roofline floors: a large device-to-device copy (bytes read plus bytes
 * written per second) and large matrix products through the GEMM library in bf16 and, where the device has them,
 * FP8 (FLOPs per second; {@code fp8GemmFlopsPerSecond} equals the bf16 rate where FP8 is unavailable).
 */
public record Ceilings(double copyBytesPerSecond, double bf16GemmFlopsPerSecond, double fp8GemmFlopsPerSecond) {

    public Ceilings {
        if (!(copyBytesPerSecond > 0) || !(bf16GemmFlopsPerSecond > 0) || !(fp8GemmFlopsPerSecond > 0)) {
            throw new IllegalArgumentException("ceilings must be positive: " + copyBytesPerSecond + " B/s, "
                    + bf16GemmFlopsPerSecond + " and " + fp8GemmFlopsPerSecond + " FLOP/s");
        }
    }
}
