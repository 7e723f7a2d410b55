package dev.flood.weights;

/**
 * Element types a checkpoint may store, with their safetensors names and sizes in bytes. {@link #F8_E4M3} holds FP8
 * weights of a quantized checkpoint ({@link Fp8E4m3}); their scales are separate tensors.
 */
public enum DType {
    BF16("BF16", 2),
    F16("F16", 2),
    F32("F32", 4),
    F8_E4M3("F8_E4M3", 1);

    private final String safetensorsName;
    private final int bytes;

    DType(String safetensorsName, int bytes) {
        this.safetensorsName = safetensorsName;
        this.bytes = bytes;
    }

    public String safetensorsName() {
        return safetensorsName;
    }

    public int bytes() {
        return bytes;
    }
}
