package dev.flood.weights;

import dev.flood.api.FloodException;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DummyWeightsTest {

    private static final String UP_PROJ = "model.layers.0.mlp.up_proj.weight";
    private final long seed = new Random().nextLong();

    @Test
    void sameSeedAndNameGiveTheSameValues() throws Exception {
        ModelConfig config = config("tiny-llama");
        float[] first = new DummyWeights(config, seed).loadFloats(UP_PROJ, 176, 64);
        float[] again = new DummyWeights(config, seed).loadFloats(UP_PROJ, 176, 64);
        assertArrayEquals(first, again);

        assertMostlyDifferent(first, new DummyWeights(config, seed + 1).loadFloats(UP_PROJ, 176, 64));
        assertMostlyDifferent(first, new DummyWeights(config, seed).loadFloats("model.layers.1.mlp.up_proj.weight",
                176, 64));
    }

    @Test
    void valuesDependOnlyOnTheElementIndexNotOnShapeOrThreads() throws Exception {
        DummyWeights weights = new DummyWeights(config("tiny-llama"), seed);
        // 1031 * 613 elements is past the parallel threshold, so this one is filled by several threads.
        float[] large = weights.loadFloats(UP_PROJ, 1031, 613);
        float[] small = weights.loadFloats(UP_PROJ, 19, 111);
        assertArrayEquals(small, Arrays.copyOf(large, small.length));
        float[] flat = weights.loadFloats(UP_PROJ, 1031L * 613);
        assertArrayEquals(large, flat);
    }

    @Test
    void rawBf16AndFloatsAgreeExactly() throws Exception {
        DummyWeights weights = new DummyWeights(config("tiny-llama"), seed);
        for (String name : new String[]{UP_PROJ, "model.norm.weight", "model.layers.2.self_attn.q_proj.bias"}) {
            for (long[] shape : new long[][]{{19, 111}, {1}, {7, 3, 5}, {613, 509}}) {
                float[] floats = weights.loadFloats(name, shape);
                TensorData raw = weights.loadRaw(name, shape);
                assertEquals(name, raw.name());
                assertEquals(DType.BF16, raw.dtype());
                assertArrayEquals(shape, raw.shape());
                assertEquals(ByteOrder.LITTLE_ENDIAN, raw.data().order());
                assertEquals(0, raw.data().position());
                assertEquals(floats.length * 2, raw.data().limit());
                for (int i = 0; i < floats.length; i++) {
                    float widened = Float.intBitsToFloat((raw.data().getShort(2 * i) & 0xFFFF) << 16);
                    assertEquals(widened, floats[i], 0.0f, name + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void weightsHaveMeanZeroAndStd002() throws Exception {
        float[] values = new DummyWeights(config("tiny-llama"), seed).loadFloats(UP_PROJ, 1031, 1013);
        double sum = 0;
        double sumOfSquares = 0;
        float maxMagnitude = 0;
        for (float value : values) {
            sum += value;
            sumOfSquares += value * (double) value;
            maxMagnitude = Math.max(maxMagnitude, Math.abs(value));
        }
        double mean = sum / values.length;
        double std = Math.sqrt(sumOfSquares / values.length - mean * mean);
        // n ≈ 1.04e6: the mean's standard error is 0.02 / √n ≈ 2e-5, so 1e-4 is five of them; the sample std of a
        // uniform has relative error ≈ 0.05%, and bf16 rounding (relative 2^-9) moves it far less than 2%.
        assertEquals(0.0, mean, 1e-4);
        assertEquals(0.02, std, 0.02 * 0.02);
        // uniform on ±0.02·√3, plus half a bf16 ulp for rounding
        assertTrue(maxMagnitude <= 0.02 * Math.sqrt(3) * (1 + 0x1p-8), "max |value| " + maxMagnitude);
        assertTrue(maxMagnitude > 0.02 * Math.sqrt(3) * 0.99, "max |value| " + maxMagnitude);
    }

    @Test
    void normsAreUniformAroundOne() throws Exception {
        DummyWeights weights = new DummyWeights(config("tiny-qwen3"), seed);
        for (String name : new String[]{"model.norm.weight", "model.layers.1.self_attn.q_norm.weight",
                "model.layers.0.post_attention_layernorm.weight"}) {
            float[] values = weights.loadFloats(name, 100_003);
            double sum = 0;
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float value : values) {
                sum += value;
                min = Math.min(min, value);
                max = Math.max(max, value);
            }
            // [0.9, 1.1] widened by half a bf16 ulp on each side (2^-9 below one, 2^-8 above)
            assertTrue(min >= 0.9 - 0x1p-9 && max <= 1.1 + 0x1p-8, name + " range [" + min + ", " + max + "]");
            assertTrue(min < 0.91 && max > 1.09, name + " does not span its range: [" + min + ", " + max + "]");
            // std of U[0.9, 1.1] is 0.058; over 1e5 values the mean's standard error is 1.8e-4: 1e-3 is 5.5 of them
            assertEquals(1.0, sum / values.length, 1e-3, name);
        }
    }

    @Test
    void tiedEmbeddingsHaveNoLmHead() throws Exception {
        DummyWeights tied = new DummyWeights(config("tiny-qwen2"), seed);
        assertFalse(tied.contains("lm_head.weight"));
        assertTrue(tied.contains("model.embed_tokens.weight"));
        assertTrue(tied.contains("model.layers.1.self_attn.k_proj.bias"));
        FloodException e = assertThrows(FloodException.class, () -> tied.loadFloats("lm_head.weight", 1024, 64));
        assertEquals("tensor lm_head.weight not found in dummy weights for Qwen2ForCausalLM (seed " + seed
                + "): tie_word_embeddings is set, so the lm_head reuses model.embed_tokens.weight", e.getMessage());
        assertThrows(FloodException.class, () -> tied.loadRaw("lm_head.weight", 1024, 64));

        DummyWeights untied = new DummyWeights(config("tiny-llama"), seed);
        assertTrue(untied.contains("lm_head.weight"));
        assertEquals(1024 * 64, untied.loadFloats("lm_head.weight", 1024, 64).length);
    }

    @Test
    void negativeDimensionsAreRejected() throws Exception {
        DummyWeights weights = new DummyWeights(config("tiny-llama"), seed);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> weights.loadFloats(UP_PROJ, 176, -64));
        assertEquals("shape [176, -64] of tensor " + UP_PROJ + " has a negative dimension", e.getMessage());
    }

    /** Independent uniform streams share a bf16 value now and then, but not for more than a few percent. */
    private static void assertMostlyDifferent(float[] a, float[] b) {
        int equal = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                equal++;
            }
        }
        assertTrue(equal < a.length / 20, equal + " of " + a.length + " values are equal");
    }

    private ModelConfig config(String fixture) throws URISyntaxException {
        return ModelConfigReader.read(Path.of(getClass().getResource("/fixtures/" + fixture).toURI()));
    }
}
