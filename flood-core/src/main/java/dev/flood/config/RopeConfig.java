package dev.flood.config;

/**
 * Rotary position embedding parameters, in the form transformers 5 writes as {@code rope_parameters}
 * (transformers 4's top-level {@code rope_theta} / {@code rope_scaling} map onto the same record).
 *
 * @param type                  {@code default} or {@code llama3} (others are rejected by the reader)
 * @param theta                 the base of the inverse frequencies
 * @param factor                llama3: how much the context was stretched; 1 for default
 * @param lowFreqFactor         llama3 only
 * @param highFreqFactor        llama3 only
 * @param originalMaxPositions  llama3 only: the pre-training context length
 */
public record RopeConfig(String type, double theta, double factor, double lowFreqFactor, double highFreqFactor,
                         int originalMaxPositions) {

    public static RopeConfig defaultRope(double theta) {
        return new RopeConfig("default", theta, 1.0, 1.0, 1.0, 0);
    }

    public RopeConfig {
        if (!(theta > 0)) {
            throw new IllegalArgumentException("rope_theta must be positive, got " + theta);
        }
        if (!type.equals("default") && !type.equals("llama3")) {
            throw new IllegalArgumentException("unsupported rope type '" + type + "' (supported: default, llama3)");
        }
        if (type.equals("llama3") && (!(factor > 0) || !(highFreqFactor > lowFreqFactor) || originalMaxPositions <= 0)) {
            throw new IllegalArgumentException("llama3 rope scaling needs factor > 0, high_freq_factor > low_freq_factor"
                    + " and original_max_position_embeddings > 0");
        }
    }

    /**
     * The {@code headDim / 2} inverse frequencies, computed as transformers computes them: in float32,
     * {@code 1 / theta^(2i / headDim)}, then for llama3 divided by {@code factor} for long wavelengths and
     * smoothly interpolated between the two bands.
     */
    public float[] inverseFrequencies(int headDim) {
        int half = headDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            // transformers: 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim)), all in float32
            float exponent = (float) (2 * i) / (float) headDim;
            inv[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
        }
        if (type.equals("llama3")) {
            double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
            double highFreqWavelen = originalMaxPositions / highFreqFactor;
            for (int i = 0; i < half; i++) {
                double wavelen = 2 * Math.PI / inv[i];
                if (wavelen > lowFreqWavelen) {
                    inv[i] = (float) (inv[i] / factor);
                } else if (wavelen >= highFreqWavelen) {
                    double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    inv[i] = (float) ((1 - smooth) * inv[i] / factor + smooth * inv[i]);
                }
            }
        }
        return inv;
    }
}
