package dev.flood.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class Fp8E4m3Test {

    @Test
    void knownCodes() {
        assertEquals(0f, Fp8E4m3.toFloat((byte) 0x00));
        assertEquals(1f, Fp8E4m3.toFloat((byte) 0x38), "exponent 7 = bias, mantissa 0");
        assertEquals(448f, Fp8E4m3.toFloat((byte) 0x7E), "the largest finite value");
        assertEquals(-448f, Fp8E4m3.toFloat((byte) 0xFE));
        assertEquals(0x1p-9f, Fp8E4m3.toFloat((byte) 0x01), "the smallest subnormal");
        assertEquals(0x1p-6f, Fp8E4m3.toFloat((byte) 0x08), "the smallest normal");
        assertTrue(Float.isNaN(Fp8E4m3.toFloat((byte) 0x7F)));
        assertTrue(Float.isNaN(Fp8E4m3.toFloat((byte) 0xFF)));
    }

    @Test
    void everyFiniteCodeRoundTrips() {
        for (int code = 0; code < 256; code++) {
            float value = Fp8E4m3.toFloat((byte) code);
            if (Float.isNaN(value)) {
                continue;
            }
            int expected = code == 0x80 ? 0x80 : code;  // -0 keeps its sign
            assertEquals(expected, Fp8E4m3.fromFloat(value) & 0xFF, "code " + code + " = " + value);
        }
    }

    @Test
    void roundsToTheNearestCodeTiesToEven() {
        // Between 1 (0x38) and 1.125 (0x39): 1.0625 is the tie, kept at the even mantissa 0.
        assertEquals(0x38, Fp8E4m3.fromFloat(1.0625f));
        // Between 1.125 (0x39) and 1.25 (0x3A): the tie goes to 0x3A, the even one.
        assertEquals(0x3A, Fp8E4m3.fromFloat(1.1875f));
        assertEquals(0x39, Fp8E4m3.fromFloat(1.1f));
        // 15.5 rounds up past the top of exponent 3 into 16 (exponent carry).
        assertEquals(16f, Fp8E4m3.toFloat(Fp8E4m3.fromFloat(15.5f)));
        // Subnormal ties: 1.5 steps of 2^-9 round to 2 steps.
        assertEquals(0x02, Fp8E4m3.fromFloat(1.5f * 0x1p-9f));
    }

    @Test
    void saturatesAndKeepsNaN() {
        assertEquals(0x7E, Fp8E4m3.fromFloat(1e6f) & 0xFF);
        assertEquals(0xFE, Fp8E4m3.fromFloat(Float.NEGATIVE_INFINITY) & 0xFF);
        assertEquals(0x7E, Fp8E4m3.fromFloat(470f) & 0xFF, "beyond 448 saturates, never NaN");
        assertTrue(Float.isNaN(Fp8E4m3.toFloat(Fp8E4m3.fromFloat(Float.NaN))));
    }

    @Test
    void theNearestCodeIsChosenForRandomValues() {
        Random random = new Random(3);
        for (int i = 0; i < 10_000; i++) {
            float value = (float) (random.nextGaussian() * Math.pow(2, random.nextInt(20) - 10));
            float rounded = Fp8E4m3.toFloat(Fp8E4m3.fromFloat(value));
            float error = Math.abs(rounded - value);
            for (int code = 0; code < 256; code++) {
                float candidate = Fp8E4m3.toFloat((byte) code);
                if (!Float.isNaN(candidate) && Math.abs(value) <= 448) {
                    assertTrue(error <= Math.abs(candidate - value), value + " rounded to " + rounded + ", but "
                            + candidate + " is nearer");
                }
            }
        }
    }
}
