package dev.flood.weights;

import dev.flood.api.FloodException;
import dev.flood.config.QuantizationConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * A safetensors checkpoint whose linear weights are stored in FP8 ({@link QuantizationConfig}): every tensor stored
 * as F8_E4M3 comes with its scales. {@link #loadFp8} hands a backend the codes and scales as they are;
 * {@link #loadFloats} (and so {@link #loadRaw}'s callers that widen) gets the dequantized values, so a backend
 * without FP8 (the float32 CPU reference, a GPU before Hopper) runs the same checkpoint. Other tensors pass through.
 */
public final class QuantizedCheckpoint implements WeightSource {

    private final SafetensorsCheckpoint stored;
    private final QuantizationConfig quantization;

    QuantizedCheckpoint(SafetensorsCheckpoint stored, QuantizationConfig quantization) {
        this.stored = stored;
        this.quantization = quantization;
    }

    /** The weights of {@code modelDir}: quantized when its config.json says so, else the plain checkpoint. */
    public static WeightSource open(Path modelDir) {
        Optional<QuantizationConfig> quantization = QuantizationConfig.read(modelDir);
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(modelDir);
        return quantization.<WeightSource>map(q -> new QuantizedCheckpoint(checkpoint, q)).orElse(checkpoint);
    }

    public QuantizationConfig quantization() {
        return quantization;
    }

    @Override
    public boolean contains(String name) {
        return stored.contains(name);
    }

    @Override
    public float[] loadFloats(String name, long... expectedShape) {
        if (expectedShape.length == 2) {
            Optional<Fp8Tensor> fp8 = loadFp8(name, expectedShape[0], expectedShape[1]);
            if (fp8.isPresent()) {
                return fp8.get().dequantize();
            }
        }
        return stored.loadFloats(name, expectedShape);
    }

    @Override
    public TensorData loadRaw(String name, long... expectedShape) {
        return stored.loadRaw(name, expectedShape);
    }

    /**
     * The codes and scales of an FP8 weight; empty when the tensor is stored in another type. Scales may be stored
     * as float32 or bf16, per channel as {@code [rows]} or {@code [rows, 1]}, per tensor as a scalar or {@code [1]}.
     */
    @Override
    public Optional<Fp8Tensor> loadFp8(String name, long rows, long cols) {
        TensorData codes = stored.loadRaw(name, rows, cols);
        if (codes.dtype() != DType.F8_E4M3) {
            return Optional.empty();
        }
        String scaleName = quantization.scaleName(name);
        if (!stored.contains(scaleName)) {
            throw new FloodException("tensor " + name + " is stored in FP8 but checkpoint " + description()
                    + " has no " + scaleName + " (" + quantization.method() + " checkpoints keep one per weight)");
        }
        Fp8Scaling scaling = quantization.scaling();
        long[] shape = stored.shape(scaleName);
        long count = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (!scaleShapeFits(scaling, shape, rows, cols)) {
            throw new FloodException("tensor " + scaleName + " has shape " + Shapes.format(shape) + "; " + scaling
                    + " scaling of " + name + " " + Shapes.format(new long[] {rows, cols}) + " needs "
                    + scaling.scaleCount(rows, cols) + " scales");
        }
        float[] scales = stored.loadFloats(scaleName, shape);
        if (scales.length != count) {
            throw new IllegalStateException(scaleName + ": " + scales.length + " values for " + count);
        }
        return Optional.of(new Fp8Tensor(codes, scales, scaling));
    }

    private static boolean scaleShapeFits(Fp8Scaling scaling, long[] shape, long rows, long cols) {
        return switch (scaling) {
            case BLOCK_128 -> Arrays.equals(shape, new long[] {ceilDiv(rows), ceilDiv(cols)});
            case PER_CHANNEL -> Arrays.equals(shape, new long[] {rows}) || Arrays.equals(shape, new long[] {rows, 1});
            case PER_TENSOR -> shape.length == 0 || Arrays.equals(shape, new long[] {1});
        };
    }

    private static long ceilDiv(long n) {
        return (n + Fp8Scaling.BLOCK - 1) / Fp8Scaling.BLOCK;
    }

    @Override
    public String description() {
        return stored.description() + " (" + quantization.method() + " FP8, " + quantization.scaling() + " scales)";
    }

    @Override
    public void close() {
        stored.close();
    }
}
