package dev.flood.backend.profile;

/**
 * The least work an operation must do: bytes moved through device memory (every input read once, every output
 * written once) and the FLOPs of its matrix products (2 per multiply-add), split by the precision they run in,
 * since bf16 and FP8 products have different rates. Other arithmetic is not counted: in every op here it hides
 * under the memory traffic.
 *
 * @param bytes     bytes read plus bytes written
 * @param bf16Flops FLOPs of bf16 matrix products
 * @param fp8Flops  FLOPs of FP8 matrix products
 */
public record OpCost(long bytes, double bf16Flops, double fp8Flops) {

    public static final OpCost NONE = new OpCost(0, 0, 0);

    public OpCost {
        if (bytes < 0 || bf16Flops < 0 || fp8Flops < 0) {
            throw new IllegalArgumentException("negative cost: " + bytes + " bytes, " + bf16Flops + " + " + fp8Flops
                    + " FLOPs");
        }
    }

    /** A memory-bound op: bytes only. */
    public static OpCost bytes(long bytes) {
        return new OpCost(bytes, 0, 0);
    }

    /**
     * The fewest seconds this op can take on a device with these ceilings: the larger of its memory time and its
     * arithmetic time (a single op overlaps the two; separate ops do not, so floors of ops add).
     */
    public double floorSeconds(Ceilings ceilings) {
        double memory = bytes / ceilings.copyBytesPerSecond();
        double math = bf16Flops / ceilings.bf16GemmFlopsPerSecond() + fp8Flops / ceilings.fp8GemmFlopsPerSecond();
        return Math.max(memory, math);
    }
}
