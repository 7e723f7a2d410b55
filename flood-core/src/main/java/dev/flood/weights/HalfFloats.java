package dev.flood.weights;

/**
 * Conversions between float32 and the two 16-bit float formats checkpoints use.
 *
 * <ul>
 *   <li>bfloat16: the top half of a float32 (1 sign, 8 exponent, 7 mantissa bits), so widening is a shift.</li>
 *   <li>IEEE half (F16): 1 sign, 5 exponent (bias 15), 10 mantissa bits; every half value, subnormals included,
 *       is exactly representable as a float32, so {@link #f16ToFloat} is exact.</li>
 * </ul>
 * Values travel as {@code short} bit patterns, as they are stored.
 */
public final class HalfFloats {

    private static final int FLOAT_EXPONENT_BIAS = 127;
    private static final int HALF_EXPONENT_BIAS = 15;
    private static final int FLOAT_MANTISSA_BITS = 23;
    private static final int HALF_MANTISSA_BITS = 10;

    private HalfFloats() {
    }

    /** Widens a bfloat16 to the float32 with the same value (exact). */
    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat(bf16 << 16);
    }

    /**
     * Rounds a float32 to the nearest bfloat16, ties to even (as PyTorch's {@code tensor.to(torch.bfloat16)}).
     * Values beyond the largest bfloat16 round to infinity; NaN stays NaN (made quiet).
     */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            // NaN: plain rounding could carry a small payload into infinity, so keep the sign and set the quiet bit.
            return (short) ((bits >>> 16) | 0x0040);
        }
        // Adding 0x7FFF rounds the dropped half up when it is past the midpoint; the kept half's lowest bit
        // adds one more at exactly the midpoint when that bit is odd, which makes ties go to even.
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** Widens an IEEE half to the float32 with the same value (exact, including subnormals, infinities, NaN). */
    public static float f16ToFloat(short f16) {
        int bits = f16 & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> HALF_MANTISSA_BITS) & 0x1F;
        int mantissa = bits & 0x3FF;
        int mantissaShift = FLOAT_MANTISSA_BITS - HALF_MANTISSA_BITS;
        if (exponent == 0x1F) {
            // infinity (mantissa 0) or NaN (payload kept in the float's top mantissa bits)
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mantissa << mantissaShift));
        }
        if (exponent == 0) {
            // zero or subnormal: mantissa * 2^-24, which float32 holds exactly as a normal number
            float magnitude = mantissa * 0x1.0p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        int floatExponent = exponent - HALF_EXPONENT_BIAS + FLOAT_EXPONENT_BIAS;
        return Float.intBitsToFloat(sign | (floatExponent << FLOAT_MANTISSA_BITS) | (mantissa << mantissaShift));
    }

    /**
     * Rounds a float32 to the nearest IEEE half value, ties to even, returned as the float32 holding it. Halves
     * have 11 significant bits down to 2^-14 and a fixed step of 2^-24 below (subnormals); past 65504 the
     * nearest is infinity once the value reaches the midpoint 65520.
     */
    public static float roundToF16(float value) {
        if (Float.isNaN(value) || Float.isInfinite(value)) {
            return value;
        }
        if (Math.abs(value) >= 65520f) {
            return Math.copySign(Float.POSITIVE_INFINITY, value);
        }
        int exponent = Math.max(Math.getExponent(value), -14);
        double step = Math.scalb(1.0, exponent - HALF_MANTISSA_BITS);
        return (float) (Math.rint(value / step) * step);
    }
}
