package dev.flood.backend;

import dev.flood.config.RopeConfig;
import dev.flood.weights.DType;
import dev.flood.weights.HalfFloats;

/**
 * cos and sin of every (position, frequency) pair, precomputed once, laid out {@code [maxPositions, headDim / 2]}.
 * Angles are computed as transformers does: {@code (float) position * invFreq[i]} rounded to float32, then cos
 * and sin of that float angle; rotary is applied in the "rotate half" layout (pairs {@code (i, i + headDim/2)}).
 *
 * <p>In transformers the inverse frequencies are a buffer of the model, so a model held in its checkpoint's dtype
 * (bfloat16, usually) rotates with frequencies rounded to that dtype, even when computing in float32. The
 * reference outputs show it: with float32 frequencies a 50-token prompt drifts by 1e-3 in log-probability, with
 * bf16-rounded ones it matches to 1e-6. So the table rounds them to the checkpoint's dtype.
 */
public record RotaryTable(int maxPositions, int headDim, float[] cos, float[] sin) {

    public static RotaryTable of(RopeConfig rope, int headDim, int maxPositions, DType bufferDtype) {
        float[] invFreq = rope.inverseFrequencies(headDim);
        for (int i = 0; i < invFreq.length; i++) {
            invFreq[i] = switch (bufferDtype) {
                case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(invFreq[i]));
                case F16 -> HalfFloats.roundToF16(invFreq[i]);
                case F32 -> invFreq[i];
                case F8_E4M3 -> throw new IllegalArgumentException("rotary frequencies are never held in FP8");
            };
        }
        int half = headDim / 2;
        float[] cos = new float[maxPositions * half];
        float[] sin = new float[maxPositions * half];
        for (int p = 0; p < maxPositions; p++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) p * invFreq[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        return new RotaryTable(maxPositions, headDim, cos, sin);
    }

    public int half() {
        return headDim / 2;
    }
}
