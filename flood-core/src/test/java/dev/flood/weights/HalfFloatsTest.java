package dev.flood.weights;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** All comparisons are exact: every conversion here either is exact or has one correctly rounded answer. */
class HalfFloatsTest {

    /** The value of an IEEE half from its fields, in doubles: an independent reading of the format. */
    static double halfValue(int bits) {
        int sign = (bits >> 15) & 1;
        int exponent = (bits >> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        double magnitude;
        if (exponent == 0x1F) {
            magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else if (exponent == 0) {
            magnitude = mantissa * Math.pow(2, -24);
        } else {
            magnitude = (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    @Test
    void handPickedHalves() {
        assertHalf(0x0000, 0.0f);
        assertHalf(0x8000, -0.0f);
        assertHalf(0x3C00, 1.0f);
        assertHalf(0xC000, -2.0f);
        assertHalf(0x3555, 0.333251953125f);
        assertHalf(0x7BFF, 65504.0f);                // largest finite half
        assertHalf(0x0400, 0x1p-14f);                // smallest normal
        assertHalf(0x0001, 0x1p-24f);                // smallest subnormal
        assertHalf(0x03FF, 0x1.ff8p-15f);            // largest subnormal: 1023 * 2^-24
        assertHalf(0x8001, -0x1p-24f);
        assertHalf(0x7C00, Float.POSITIVE_INFINITY);
        assertHalf(0xFC00, Float.NEGATIVE_INFINITY);
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat((short) 0x7E00)));
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat((short) 0xFC01)));
    }

    @Test
    void everyHalfMatchesItsFieldValue() {
        for (int bits = 0; bits <= 0xFFFF; bits++) {
            float actual = HalfFloats.f16ToFloat((short) bits);
            double expected = halfValue(bits);
            if (Double.isNaN(expected)) {
                assertTrue(Float.isNaN(actual), Integer.toHexString(bits));
            } else {
                assertHalf(bits, (float) expected);
            }
        }
    }

    @Test
    void roundToF16KeepsEveryHalfAndRoundsMidpointsToEven() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float half = HalfFloats.f16ToFloat((short) bits);
            if (!Float.isNaN(half)) {
                assertEquals(half, HalfFloats.roundToF16(half), 0f, "half 0x" + Integer.toHexString(bits));
            }
        }
        // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1)
        assertEquals(1f, HalfFloats.roundToF16(1f + 0x1p-11f), 0f);
        // 1 + 3 * 2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even)
        assertEquals(1f + 0x1p-9f, HalfFloats.roundToF16(1f + 3 * 0x1p-11f), 0f);
        // subnormal step 2^-24: 1.4 steps rounds to 1 step, 2.5 steps to 2 (even)
        assertEquals(0x1p-24f, HalfFloats.roundToF16(1.4f * 0x1p-24f), 0f);
        assertEquals(0x1p-23f, HalfFloats.roundToF16(2.5f * 0x1p-24f), 0f);
        assertEquals(65504f, HalfFloats.roundToF16(65519f), 0f);
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.roundToF16(-65520f), 0f);
    }

    @Test
    void bf16IsTheTopHalfOfAFloat() {
        assertEquals(1.0f, HalfFloats.bf16ToFloat((short) 0x3F80));
        assertEquals(-2.0f, HalfFloats.bf16ToFloat((short) 0xC000));
        assertEquals(0x1.02p0f, HalfFloats.bf16ToFloat((short) 0x3F81));
        assertEquals(Float.floatToIntBits(-0.0f), Float.floatToIntBits(HalfFloats.bf16ToFloat((short) 0x8000)));
    }

    @Test
    void floatToBf16RoundsToNearestEven() {
        assertBf16(0x3F80_0000, 0x3F80);
        assertBf16(0x3F80_7FFF, 0x3F80);             // below the midpoint
        assertBf16(0x3F80_8000, 0x3F80);             // midpoint, kept half even: stays
        assertBf16(0x3F80_8001, 0x3F81);             // above the midpoint
        assertBf16(0x3F81_8000, 0x3F82);             // midpoint, kept half odd: up to even
        assertBf16(0xBF81_8000, 0xBF82);             // same for negatives
        assertBf16(0x0000_8000, 0x0000);             // subnormal midpoint
        assertBf16(0x0001_8000, 0x0002);
        assertBf16(0x7F7F_FFFF, 0x7F80);             // Float.MAX_VALUE is past the largest bf16: infinity
        assertBf16(0x7F80_0000, 0x7F80);
        assertBf16(0xFF80_0000, 0xFF80);
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7F80_0001)))),
                "a NaN with only low payload bits must not round to infinity");
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))));
    }

    @Test
    void floatToBf16PicksTheNearerNeighbourOnRandomFloats() {
        Random random = new Random();
        for (int n = 0; n < 200_000; n++) {
            float value = Float.intBitsToFloat(random.nextInt());
            if (!Float.isFinite(value) || Math.abs(value) >= 0x1.fep127f) {
                continue;   // NaN, infinities and the overflow edge are covered above
            }
            int truncated = Float.floatToRawIntBits(value) & 0xFFFF_0000;
            double below = Float.intBitsToFloat(truncated);
            double above = Float.intBitsToFloat(truncated + 0x1_0000);
            // float differences are exact in double
            double toBelow = Math.abs(value - below);
            double toAbove = Math.abs(above - value);
            int expected = toBelow < toAbove || (toBelow == toAbove && ((truncated >>> 16) & 1) == 0)
                    ? truncated >>> 16
                    : (truncated + 0x1_0000) >>> 16;
            assertEquals((short) expected, HalfFloats.floatToBf16(value), Float.toHexString(value));
        }
    }

    private static void assertHalf(int bits, float expected) {
        // Bit patterns, not values, so that -0.0 must stay -0.0.
        float actual = HalfFloats.f16ToFloat((short) bits);
        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual),
                () -> "half 0x" + Integer.toHexString(bits) + ": expected " + expected + ", got " + actual);
    }

    private static void assertBf16(int floatBits, int expectedBf16) {
        assertEquals((short) expectedBf16, HalfFloats.floatToBf16(Float.intBitsToFloat(floatBits)),
                "float 0x" + Integer.toHexString(floatBits));
    }
}
