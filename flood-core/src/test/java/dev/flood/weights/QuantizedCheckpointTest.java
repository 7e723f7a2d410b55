package dev.flood.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodException;
import dev.flood.testing.Fp8Reference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FP8 checkpoints written here as transformers and llm-compressor write them: codes dequantize exactly (a code's
 * value times a float32 scale is one rounding, the same in the test and the loader), in odd sizes with partial
 * 128 x 128 blocks; missing or misshapen scales are named.
 */
class QuantizedCheckpointTest {

    private static final String FP8_CONFIG = "{\"quantization_config\": {\"quant_method\": \"fp8\","
            + " \"weight_block_size\": [128, 128]}}";
    private static final String CHANNEL_CONFIG = "{\"quantization_config\": {\"quant_method\": \"compressed-tensors\","
            + " \"format\": \"float-quantized\", \"config_groups\": {\"group_0\": {\"weights\": {\"num_bits\": 8,"
            + " \"type\": \"float\", \"strategy\": \"%s\"}}}}}";

    @TempDir
    Path dir;

    private final Random random = new Random();

    private float[] randomValues(int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian() * 0.05f;
        }
        return values;
    }

    private WeightSource open(String config, SafetensorsTestWriter writer) throws IOException {
        Files.writeString(dir.resolve("config.json"), config);
        writer.write(dir.resolve("model.safetensors"));
        return QuantizedCheckpoint.open(dir);
    }

    @Test
    void blockScaledWeightsDequantizeWithPartialBlocks() throws IOException {
        int rows = 300;
        int cols = 19;
        Fp8Reference.Quantized q = Fp8Reference.blocks(randomValues(rows * cols), rows, cols);
        float[] other = randomValues(7);
        SafetensorsTestWriter writer = new SafetensorsTestWriter()
                .add("w.weight", DType.F8_E4M3, new long[] {rows, cols}, q.codes())
                .add("w.weight_scale_inv", DType.F32, new long[] {3, 1}, SafetensorsTestWriter.f32Bytes(q.scales()))
                .add("norm.weight", DType.F32, new long[] {7}, SafetensorsTestWriter.f32Bytes(other));
        try (WeightSource source = open(FP8_CONFIG, writer)) {
            assertInstanceOf(QuantizedCheckpoint.class, source);
            float[] expected = q.dequantize(i -> (i / cols) / 128);
            assertArrayEquals(expected, source.loadFloats("w.weight", rows, cols));
            Fp8Tensor fp8 = source.loadFp8("w.weight", rows, cols).orElseThrow();
            assertEquals(Fp8Scaling.BLOCK_128, fp8.scaling());
            assertArrayEquals(q.scales(), fp8.scales());
            assertArrayEquals(expected, fp8.dequantize());
            assertArrayEquals(other, source.loadFloats("norm.weight", 7), "other tensors pass through");
        }
    }

    @Test
    void channelScalesMayBeBf16Columns() throws IOException {
        int rows = 19;
        int cols = 111;
        Fp8Reference.Quantized q = Fp8Reference.rows(randomValues(rows * cols), rows, cols);
        short[] bf16Scales = new short[rows];
        float[] scales = new float[rows];
        for (int r = 0; r < rows; r++) {
            bf16Scales[r] = HalfFloats.floatToBf16(q.scales()[r]);
            scales[r] = HalfFloats.bf16ToFloat(bf16Scales[r]);
        }
        SafetensorsTestWriter writer = new SafetensorsTestWriter()
                .add("w.weight", DType.F8_E4M3, new long[] {rows, cols}, q.codes())
                .add("w.weight_scale", DType.BF16, new long[] {rows, 1}, SafetensorsTestWriter.shortBytes(bf16Scales))
                .add("b.weight", DType.BF16, new long[] {2, 2}, SafetensorsTestWriter.shortBytes(new short[4]));
        try (WeightSource source = open(String.format(CHANNEL_CONFIG, "channel"), writer)) {
            float[] expected = new Fp8Reference.Quantized(q.codes(), scales).dequantize(i -> i / cols);
            assertArrayEquals(expected, source.loadFloats("w.weight", rows, cols));
            assertEquals(Fp8Scaling.PER_CHANNEL, source.loadFp8("w.weight", rows, cols).orElseThrow().scaling());
            assertTrue(source.loadFp8("b.weight", 2, 2).isEmpty(), "a bf16 weight is not FP8");
        }
    }

    @Test
    void aTensorScaleMayBeAScalar() throws IOException {
        Fp8Reference.Quantized q = Fp8Reference.tensor(randomValues(12), 3, 4);
        SafetensorsTestWriter writer = new SafetensorsTestWriter()
                .add("w.weight", DType.F8_E4M3, new long[] {3, 4}, q.codes())
                .add("w.weight_scale", DType.F32, new long[] {}, SafetensorsTestWriter.f32Bytes(q.scales()));
        try (WeightSource source = open(String.format(CHANNEL_CONFIG, "tensor"), writer)) {
            assertArrayEquals(q.dequantize(i -> 0), source.loadFloats("w.weight", 3, 4));
        }
    }

    @Test
    void missingAndMisshapenScalesAreNamed() throws IOException {
        Fp8Reference.Quantized q = Fp8Reference.rows(randomValues(8), 2, 4);
        SafetensorsTestWriter writer = new SafetensorsTestWriter()
                .add("a.weight", DType.F8_E4M3, new long[] {2, 4}, q.codes())
                .add("b.weight", DType.F8_E4M3, new long[] {2, 4}, q.codes())
                .add("b.weight_scale", DType.F32, new long[] {3}, SafetensorsTestWriter.f32Bytes(new float[3]));
        try (WeightSource source = open(String.format(CHANNEL_CONFIG, "channel"), writer)) {
            FloodException missing = assertThrows(FloodException.class, () -> source.loadFloats("a.weight", 2, 4));
            assertTrue(missing.getMessage().startsWith("tensor a.weight is stored in FP8 but checkpoint"),
                    missing.getMessage());
            assertTrue(missing.getMessage().endsWith("has no a.weight_scale (compressed-tensors checkpoints keep one"
                    + " per weight)"), missing.getMessage());
            FloodException shape = assertThrows(FloodException.class, () -> source.loadFp8("b.weight", 2, 4));
            assertEquals("tensor b.weight_scale has shape [3]; PER_CHANNEL scaling of b.weight [2, 4] needs 2 scales",
                    shape.getMessage());
        }
    }

    @Test
    void aCheckpointWithoutQuantizationOpensPlain() throws IOException {
        SafetensorsTestWriter writer = new SafetensorsTestWriter()
                .add("w.weight", DType.F32, new long[] {1}, SafetensorsTestWriter.f32Bytes(new float[] {2}));
        try (WeightSource source = open("{\"hidden_size\": 1}", writer)) {
            assertInstanceOf(SafetensorsCheckpoint.class, source);
        }
    }
}
