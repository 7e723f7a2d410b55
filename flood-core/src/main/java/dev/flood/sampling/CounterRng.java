package dev.flood.sampling;

/**
 * A counter-based random generator: the draw for a request at generation step {@code n} is a pure function of
 * (seed, n). Nothing is carried between draws, so a request samples the same tokens whatever else shares its
 * batch, however its steps are scheduled, and on whichever backend runs the sampler.
 *
 * <p>It is SplitMix64 (Steele, Lea, Flood 2014) read at a random-access position. All arithmetic is on unsigned
 * 64-bit integers modulo 2^64 ({@code long} in Java, {@code unsigned long long} in CUDA); {@code >>>} is a logical
 * right shift:
 * <pre>
 *   mix64(z):  z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9
 *              z = (z ^ (z >>> 27)) * 0x94D049BB133111EB
 *              return z ^ (z >>> 31)
 *
 *   uniform(seed, counter):
 *     state = mix64(seed)                                    // spreads nearby seeds (0, 1, 2, ...) apart
 *     bits  = mix64(state + (counter + 1) * 0x9E3779B97F4A7C15) // the counter-th SplitMix64 output from state
 *     return (double) (bits >>> 11) * 2^-53                  // top 53 bits as a double in [0, 1)
 * </pre>
 * The final conversion is exact: {@code bits >>> 11 < 2^53} is representable in a double, and multiplying by a
 * power of two does not round. Known values pinned by {@code CounterRngTest} let a reimplementation check itself.
 */
public final class CounterRng {

    /** SplitMix64's increment: 2^64 divided by the golden ratio, rounded to odd. */
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private static final double INV_2_POW_53 = 0x1.0p-53;

    private CounterRng() {
    }

    /**
     * The draw in [0, 1) for one request at one step.
     *
     * @param seed    the request's effective seed
     * @param counter the generation step: 0 for the first new token, 1 for the second, ...
     */
    public static double uniform(long seed, long counter) {
        if (counter < 0) {
            throw new IllegalArgumentException("counter must be >= 0, got " + counter);
        }
        long state = mix64(seed);
        long bits = mix64(state + (counter + 1) * GOLDEN_GAMMA);
        return (bits >>> 11) * INV_2_POW_53;
    }

    /** SplitMix64's finalizer (variant 13 of Stafford's mixers): a bijection on 64-bit values. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
