package dev.flood.backend;

import dev.flood.config.RopeConfig;

/**
 * cos and sin of every (position, frequency) pair, precomputed once, laid out {@code [maxPositions, headDim / 2]}.
 * Angles are computed as transformers does: {@code (float) position * invFreq[i]} rounded to float32, then cos
 * and sin of that float angle; rotary is applied in the "rotate half" layout (pairs {@code (i, i + headDim/2)}).
 */
public record RotaryTable(int maxPositions, int headDim, float[] cos, float[] sin) {

    public static RotaryTable of(RopeConfig rope, int headDim, int maxPositions) {
        float[] invFreq = rope.inverseFrequencies(headDim);
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
