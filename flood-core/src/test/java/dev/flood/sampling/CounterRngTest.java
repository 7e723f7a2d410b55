package dev.flood.sampling;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CounterRngTest {

    private final long runSeed = RandomLogits.freshSeed();

    @Test
    void mixIsSplitMix64() {
        // SplitMix64 started at state 0 first outputs mix64(0 + gamma) = 0xE220A8397B1DCDAF (the published first
        // value). Exact: integer arithmetic.
        assertEquals(0xE220A8397B1DCDAFL, CounterRng.mix64(0x9E3779B97F4A7C15L));
    }

    @Test
    void knownValuesPinTheBitOperations() {
        // (seed, counter, bits >>> 11) computed independently with Python's arbitrary-precision integers masked to
        // 64 bits. Exact: the GPU kernel must reproduce these bits, so no tolerance.
        long[][] cases = {
                {0, 0, 7956156453446585L},
                {0, 1, 3886858653415212L},
                {42, 0, 5369361458086087L},
                {42, 7, 1377140798157388L},
                {-1, 123456789, 6041546424892937L},
                {0x123456789ABCDEFL, 1L << 40, 4728293198325060L},
        };
        for (long[] c : cases) {
            double u = CounterRng.uniform(c[0], c[1]);
            assertEquals(c[2], (long) (u * 0x1.0p53), "seed " + c[0] + ", counter " + c[1]);
        }
    }

    @Test
    void drawsAreUniformInUnitInterval() {
        int numDraws = 100_003;
        double sum = 0;
        double sumSquares = 0;
        for (int counter = 0; counter < numDraws; counter++) {
            double u = CounterRng.uniform(runSeed, counter);
            assertTrue(u >= 0 && u < 1, "seed " + runSeed + ", counter " + counter + ": " + u);
            sum += u;
            sumSquares += u * u;
        }
        // Mean of U[0,1) is 1/2 with standard error sqrt(1/12 / n); E[u^2] is 1/3 with standard error
        // sqrt((1/5 - 1/9) / n). Four standard errors: a correct generator fails about once in 16,000 runs.
        double mean = sum / numDraws;
        double meanSquare = sumSquares / numDraws;
        assertEquals(0.5, mean, 4 * Math.sqrt(1.0 / 12 / numDraws), "seed " + runSeed);
        assertEquals(1.0 / 3, meanSquare, 4 * Math.sqrt((1.0 / 5 - 1.0 / 9) / numDraws), "seed " + runSeed);
    }

    @Test
    void drawIsAFunctionOfSeedAndCounterOnly() {
        double first = CounterRng.uniform(runSeed, 17);
        for (int counter = 0; counter < 40; counter++) {
            CounterRng.uniform(runSeed ^ counter, counter);
        }
        assertEquals(first, CounterRng.uniform(runSeed, 17), 0.0, "seed " + runSeed + " (exact: pure function)");
        assertNotEquals(CounterRng.uniform(runSeed, 17), CounterRng.uniform(runSeed + 1, 17), "seed " + runSeed);
        assertNotEquals(CounterRng.uniform(runSeed, 17), CounterRng.uniform(runSeed, 18), "seed " + runSeed);
    }

    @Test
    void negativeCounterIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CounterRng.uniform(1, -3));
        assertEquals("counter must be >= 0, got -3", e.getMessage());
    }
}
