package dev.flood.weights;

/** Element types a checkpoint may store, with their safetensors names and sizes in bytes. */
public enum DType {
    BF16("BF16", 2),
    F16("F16", 2),
    F32("F32", 4);

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
