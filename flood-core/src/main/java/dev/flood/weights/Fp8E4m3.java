package dev.flood.weights;

/**
 * The FP8 format E4M3 ("e4m3fn", OCP 8-bit floating point): 1 sign bit, 4 exponent bits (bias 7), 3 mantissa bits;
 * subnormals below 2^-6, no infinities, NaN only as {@code S.1111.111}, largest finite value 448. Conversions as
 * the CUDA intrinsic {@code __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3)} does them: round to nearest even,
 * finite values beyond 448 saturated to ±448, NaN to NaN.
 */
public final class Fp8E4m3 {

    /** The largest finite magnitude. */
    public static final float MAX = 448f;

    private static final float[] VALUES = new float[256];

    static {
        for (int code = 0; code < 256; code++) {
            int exponent = (code >>> 3) & 0xF;
            int mantissa = code & 0x7;
            double magnitude = exponent == 0 ? mantissa * 0x1p-9 : (1 + mantissa / 8.0) * Math.scalb(1.0, exponent - 7);
            float value = (exponent == 0xF && mantissa == 0x7) ? Float.NaN : (float) magnitude;
            VALUES[code] = (code & 0x80) != 0 ? -value : value;
        }
    }

    private Fp8E4m3() {
    }

    /** The value of an E4M3 code (the byte's 8 bits). */
    public static float toFloat(byte code) {
        return VALUES[code & 0xFF];
    }

    /** The E4M3 code nearest {@code value} (ties to an even mantissa), saturating at ±448; NaN gives NaN. */
    public static byte fromFloat(float value) {
        if (Float.isNaN(value)) {
            return 0x7F;
        }
        int sign = Float.floatToRawIntBits(value) < 0 ? 0x80 : 0;
        double magnitude = Math.abs((double) value);
        int code;
        if (magnitude < 0x1p-6) {
            // Subnormal steps of 2^-9; a value that rounds up to 8 steps is the smallest normal, code 8.
            code = (int) Math.rint(magnitude * 0x1p9);
        } else {
            int exponent = Math.getExponent(magnitude);
            int mantissa = (int) Math.rint((magnitude * Math.scalb(1.0, -exponent) - 1) * 8);
            if (mantissa == 8) {
                exponent++;
                mantissa = 0;
            }
            int biased = exponent + 7;
            code = biased > 15 || (biased == 15 && mantissa == 7) ? 0x7E : (biased << 3) | mantissa;
        }
        return (byte) (sign | code);
    }
}
