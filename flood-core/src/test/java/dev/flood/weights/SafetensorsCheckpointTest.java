package dev.flood.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.FloodException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loads are compared exactly: widening BF16, F16 and F32 to float32 is exact. */
class SafetensorsCheckpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Odd sizes, a scalar-like [1], a rank-3 shape, and one past the parallel-conversion threshold. */
    private static final List<long[]> SHAPES = List.of(
            new long[]{19, 111}, new long[]{1}, new long[]{7, 3, 5}, new long[]{613, 509});

    @TempDir
    Path tempDir;

    private final Random random = new Random();

    @Test
    void tinyLlamaTensorNamesAndShapes() throws Exception {
        Map<String, long[]> expected = layerTensors(3, 64, 176, 64, 32);
        expected.put("lm_head.weight", new long[]{1024, 64});
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(fixture("tiny-llama"))) {
            assertNamesAndShapes(expected, checkpoint);
            assertTrue(checkpoint.contains("lm_head.weight"));
            assertEquals(fixture("tiny-llama").toString(), checkpoint.description());
        }
    }

    @Test
    void tinyQwen2HasBiasesAndNoLmHead() throws Exception {
        Map<String, long[]> expected = layerTensors(2, 64, 160, 64, 16);
        for (int layer = 0; layer < 2; layer++) {
            String attention = "model.layers." + layer + ".self_attn.";
            expected.put(attention + "q_proj.bias", new long[]{64});
            expected.put(attention + "k_proj.bias", new long[]{16});
            expected.put(attention + "v_proj.bias", new long[]{16});
        }
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(fixture("tiny-qwen2"))) {
            assertNamesAndShapes(expected, checkpoint);
            assertFalse(checkpoint.contains("lm_head.weight"));
        }
    }

    @Test
    void tinyQwen3HasQkNormsAndNoLmHead() throws Exception {
        Map<String, long[]> expected = layerTensors(3, 64, 192, 128, 64);
        for (int layer = 0; layer < 3; layer++) {
            expected.put("model.layers." + layer + ".self_attn.q_norm.weight", new long[]{32});
            expected.put("model.layers." + layer + ".self_attn.k_norm.weight", new long[]{32});
        }
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(fixture("tiny-qwen3"))) {
            assertNamesAndShapes(expected, checkpoint);
            assertFalse(checkpoint.contains("lm_head.weight"));
        }
    }

    @Test
    void fixtureFloatsAreTheWidenedBf16Bytes() throws Exception {
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(fixture("tiny-llama"))) {
            for (String name : checkpoint.tensorNames()) {
                TensorData raw = checkpoint.loadRaw(name, checkpoint.shape(name));
                float[] floats = checkpoint.loadFloats(name, raw.shape());
                assertEquals(raw.numElements(), floats.length);
                float sumOfSquares = 0;
                for (int i = 0; i < floats.length; i++) {
                    float widened = Float.intBitsToFloat((raw.data().getShort(2 * i) & 0xFFFF) << 16);
                    assertEquals(widened, floats[i], 0.0f, name + "[" + i + "]");
                    sumOfSquares += floats[i] * floats[i];
                }
                assertTrue(Float.isFinite(sumOfSquares) && sumOfSquares > 0, name + " is all zeros or not finite");
            }
        }
    }

    @Test
    void roundTripsF32Exactly() throws IOException {
        SafetensorsTestWriter writer = new SafetensorsTestWriter();
        Map<String, float[]> expected = new LinkedHashMap<>();
        for (long[] shape : SHAPES) {
            float[] values = new float[(int) Shapes.numElements(shape)];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(9) - 4));
            }
            String name = "f32." + Shapes.format(shape);
            writer.add(name, DType.F32, shape, SafetensorsTestWriter.f32Bytes(values));
            expected.put(name, values);
        }
        assertRoundTrip(writer, expected, DType.F32);
    }

    @Test
    void roundTripsBf16Exactly() throws IOException {
        SafetensorsTestWriter writer = new SafetensorsTestWriter();
        Map<String, float[]> expected = new LinkedHashMap<>();
        for (long[] shape : SHAPES) {
            short[] stored = new short[(int) Shapes.numElements(shape)];
            float[] values = new float[stored.length];
            for (int i = 0; i < stored.length; i++) {
                int floatBits = Float.floatToIntBits((float) random.nextGaussian());
                stored[i] = (short) (floatBits >>> 16);
                values[i] = Float.intBitsToFloat(floatBits & 0xFFFF_0000);
            }
            String name = "bf16." + Shapes.format(shape);
            writer.add(name, DType.BF16, shape, SafetensorsTestWriter.shortBytes(stored));
            expected.put(name, values);
        }
        assertRoundTrip(writer, expected, DType.BF16);
    }

    @Test
    void roundTripsF16Exactly() throws IOException {
        SafetensorsTestWriter writer = new SafetensorsTestWriter();
        Map<String, float[]> expected = new LinkedHashMap<>();
        for (long[] shape : SHAPES) {
            short[] stored = new short[(int) Shapes.numElements(shape)];
            float[] values = new float[stored.length];
            for (int i = 0; i < stored.length; i++) {
                int bits;
                do {
                    bits = random.nextInt(1 << 16);
                } while (Double.isNaN(HalfFloatsTest.halfValue(bits)));   // NaN != NaN; covered in HalfFloatsTest
                stored[i] = (short) bits;
                values[i] = (float) HalfFloatsTest.halfValue(bits);
            }
            String name = "f16." + Shapes.format(shape);
            writer.add(name, DType.F16, shape, SafetensorsTestWriter.shortBytes(stored));
            expected.put(name, values);
        }
        assertRoundTrip(writer, expected, DType.F16);
    }

    @Test
    void readsLargeTensorsInWindows() throws IOException {
        short[] stored = new short[613 * 509];
        float[] expected = new float[stored.length];
        for (int i = 0; i < stored.length; i++) {
            int floatBits = Float.floatToIntBits((float) random.nextGaussian());
            stored[i] = (short) (floatBits >>> 16);
            expected[i] = Float.intBitsToFloat(floatBits & 0xFFFF_0000);
        }
        Path path = tempDir.resolve("model.safetensors");
        new SafetensorsTestWriter()
                .add("w", DType.BF16, new long[]{613, 509}, SafetensorsTestWriter.shortBytes(stored)).write(path);
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            // 4000-byte windows: 78 full ones and a partial last one, none aligned to a row
            assertArrayEquals(expected, SafetensorsCheckpoint.readFloats(file, file.entry("w"), 4000));
        }
    }

    @Test
    void shardedCheckpointEqualsTheSingleFile() throws Exception {
        Path shardedDir = tempDir.resolve("sharded");
        Files.createDirectories(shardedDir);
        ObjectNode weightMap = JSON.createObjectNode();
        try (SafetensorsCheckpoint single = SafetensorsCheckpoint.open(fixture("tiny-llama"))) {
            List<SafetensorsTestWriter> shards = List.of(
                    new SafetensorsTestWriter(), new SafetensorsTestWriter(), new SafetensorsTestWriter());
            int index = 0;
            for (String name : single.tensorNames()) {
                TensorData raw = single.loadRaw(name, single.shape(name));
                int shard = index++ % 3;
                shards.get(shard).add(name, raw.dtype(), raw.shape(), SafetensorsTestWriter.toArray(raw.data()));
                weightMap.put(name, shardName(shard));
            }
            for (int shard = 0; shard < 3; shard++) {
                shards.get(shard).write(shardedDir.resolve(shardName(shard)));
            }
            writeIndex(shardedDir, weightMap);

            try (SafetensorsCheckpoint sharded = SafetensorsCheckpoint.open(shardedDir)) {
                assertEquals(List.copyOf(single.tensorNames()), List.copyOf(sharded.tensorNames()));
                for (String name : single.tensorNames()) {
                    long[] shape = single.shape(name);
                    assertArrayEquals(single.loadFloats(name, shape), sharded.loadFloats(name, shape), name);
                    assertArrayEquals(SafetensorsTestWriter.toArray(single.loadRaw(name, shape).data()),
                            SafetensorsTestWriter.toArray(sharded.loadRaw(name, shape).data()), name);
                }
            }
        }
    }

    @Test
    void withoutIndexOrModelFileReadsEverySafetensorsFile() throws IOException {
        float[] a = {1.5f, -2.25f};
        float[] b = {3.0f, 0.125f, -7.0f};
        new SafetensorsTestWriter().add("a", DType.F32, new long[]{2}, SafetensorsTestWriter.f32Bytes(a))
                .write(tempDir.resolve("first.safetensors"));
        new SafetensorsTestWriter().add("b", DType.F32, new long[]{3}, SafetensorsTestWriter.f32Bytes(b))
                .write(tempDir.resolve("second.safetensors"));
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(tempDir)) {
            assertArrayEquals(a, checkpoint.loadFloats("a", 2));
            assertArrayEquals(b, checkpoint.loadFloats("b", 3));
        }

        new SafetensorsTestWriter().add("a", DType.F32, new long[]{2}, SafetensorsTestWriter.f32Bytes(a))
                .write(tempDir.resolve("third.safetensors"));
        FloodException e = assertThrows(FloodException.class, () -> SafetensorsCheckpoint.open(tempDir));
        assertEquals("tensor a appears in both " + tempDir.resolve("first.safetensors") + " and "
                + tempDir.resolve("third.safetensors") + "; add a model.safetensors.index.json to say which to use",
                e.getMessage());
    }

    @Test
    void folderWithoutWeights() throws IOException {
        Files.writeString(tempDir.resolve("config.json"), "{}");
        FloodException e = assertThrows(FloodException.class, () -> SafetensorsCheckpoint.open(tempDir));
        assertEquals("no model.safetensors or model.safetensors.index.json in " + tempDir, e.getMessage());

        Path missing = tempDir.resolve("missing");
        e = assertThrows(FloodException.class, () -> SafetensorsCheckpoint.open(missing));
        assertEquals("model folder " + missing + " does not exist or is not a folder", e.getMessage());
    }

    @Test
    void corruptFileNamesItself() throws IOException {
        Path path = tempDir.resolve("model.safetensors");
        SafetensorsTestWriter.writeFile(path, "not json at all", new byte[0]);
        FloodException e = assertThrows(FloodException.class, () -> SafetensorsCheckpoint.open(tempDir));
        assertTrue(e.getMessage().startsWith("bad safetensors header in " + path + ": malformed JSON: "),
                e.getMessage());
    }

    @Test
    void indexProblems() throws IOException {
        new SafetensorsTestWriter().add("a", DType.F32, new long[]{1}, SafetensorsTestWriter.f32Bytes(new float[]{2}))
                .write(tempDir.resolve("shard-1.safetensors"));
        Path index = tempDir.resolve("model.safetensors.index.json");

        Files.writeString(index, "{\"weight_map\": {\"a\": \"shard-1.safetensors\", \"b\": \"shard-2.safetensors\"}}");
        FloodException e = assertThrows(FloodException.class, () -> SafetensorsCheckpoint.open(tempDir));
        assertEquals("index " + index + " puts tensor b in " + tempDir.resolve("shard-2.safetensors")
                + ", which does not exist", e.getMessage());

        Files.writeString(index, "{\"weight_map\": {\"a\": \"shard-1.safetensors\", \"b\": \"shard-1.safetensors\"}}");
        e = assertThrows(FloodException.class, () -> SafetensorsCheckpoint.open(tempDir));
        assertEquals("index " + index + " puts tensor b in " + tempDir.resolve("shard-1.safetensors")
                + ", which has no such tensor", e.getMessage());

        Files.writeString(index, "{\"metadata\": {}}");
        e = assertThrows(FloodException.class, () -> SafetensorsCheckpoint.open(tempDir));
        assertEquals("bad index " + index + ": 'weight_map' must be a non-empty object of tensor name -> shard file",
                e.getMessage());

        Files.writeString(index, "{\"weight_map\": ");
        e = assertThrows(FloodException.class, () -> SafetensorsCheckpoint.open(tempDir));
        assertTrue(e.getMessage().startsWith("malformed JSON in " + index + ": "), e.getMessage());
    }

    @Test
    void missingTensorNamesTheCheckpoint() throws Exception {
        Path dir = fixture("tiny-qwen2");
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            FloodException e = assertThrows(FloodException.class,
                    () -> checkpoint.loadFloats("lm_head.weight", 1024, 64));
            assertEquals("tensor lm_head.weight not found in checkpoint " + dir, e.getMessage());
            e = assertThrows(FloodException.class, () -> checkpoint.loadRaw("lm_head.weight", 1024, 64));
            assertEquals("tensor lm_head.weight not found in checkpoint " + dir, e.getMessage());
        }
    }

    @Test
    void shapeMismatchGivesBothShapes() throws Exception {
        Path dir = fixture("tiny-llama");
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            String name = "model.layers.0.mlp.up_proj.weight";
            String expected = "tensor " + name + " in " + dir.resolve("model.safetensors")
                    + " has shape [176, 64], expected [160, 64]";
            assertEquals(expected, assertThrows(FloodException.class,
                    () -> checkpoint.loadFloats(name, 160, 64)).getMessage());
            assertEquals(expected, assertThrows(FloodException.class,
                    () -> checkpoint.loadRaw(name, 160, 64)).getMessage());
            assertEquals("tensor " + name + " in " + dir.resolve("model.safetensors")
                    + " has shape [176, 64], expected [64, 176]", assertThrows(FloodException.class,
                    () -> checkpoint.loadFloats(name, 64, 176)).getMessage());
        }
    }

    @Test
    void loadingAfterCloseFails() throws Exception {
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(fixture("tiny-llama"));
        checkpoint.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> checkpoint.loadRaw("model.norm.weight", 64));
        assertEquals(fixture("tiny-llama").resolve("model.safetensors") + " is closed", e.getMessage());
    }

    private void assertRoundTrip(SafetensorsTestWriter writer, Map<String, float[]> expected, DType dtype)
            throws IOException {
        writer.write(tempDir.resolve("model.safetensors"));
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(tempDir)) {
            for (Map.Entry<String, float[]> tensor : expected.entrySet()) {
                String name = tensor.getKey();
                long[] shape = checkpoint.shape(name);
                // exact: every stored value is representable in float32
                assertArrayEquals(tensor.getValue(), checkpoint.loadFloats(name, shape), name);
                TensorData raw = checkpoint.loadRaw(name, shape);
                assertEquals(dtype, raw.dtype());
                assertEquals(ByteOrder.LITTLE_ENDIAN, raw.data().order());
                assertEquals(0, raw.data().position());
                assertEquals(tensor.getValue().length * dtype.bytes(), raw.data().limit());
            }
        }
    }

    /** The names and shapes every Llama-style decoder has; attention widths as given. */
    private static Map<String, long[]> layerTensors(int numLayers, int hidden, int intermediate, int qSize,
                                                    int kvSize) {
        Map<String, long[]> tensors = new LinkedHashMap<>();
        tensors.put("model.embed_tokens.weight", new long[]{1024, hidden});
        tensors.put("model.norm.weight", new long[]{hidden});
        for (int layer = 0; layer < numLayers; layer++) {
            String prefix = "model.layers." + layer + ".";
            tensors.put(prefix + "input_layernorm.weight", new long[]{hidden});
            tensors.put(prefix + "post_attention_layernorm.weight", new long[]{hidden});
            tensors.put(prefix + "self_attn.q_proj.weight", new long[]{qSize, hidden});
            tensors.put(prefix + "self_attn.k_proj.weight", new long[]{kvSize, hidden});
            tensors.put(prefix + "self_attn.v_proj.weight", new long[]{kvSize, hidden});
            tensors.put(prefix + "self_attn.o_proj.weight", new long[]{hidden, qSize});
            tensors.put(prefix + "mlp.gate_proj.weight", new long[]{intermediate, hidden});
            tensors.put(prefix + "mlp.up_proj.weight", new long[]{intermediate, hidden});
            tensors.put(prefix + "mlp.down_proj.weight", new long[]{hidden, intermediate});
        }
        return tensors;
    }

    private static void assertNamesAndShapes(Map<String, long[]> expected, SafetensorsCheckpoint checkpoint) {
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(checkpoint.tensorNames()));
        for (Map.Entry<String, long[]> tensor : expected.entrySet()) {
            TensorData raw = checkpoint.loadRaw(tensor.getKey(), tensor.getValue());
            assertEquals(DType.BF16, raw.dtype(), tensor.getKey());
            assertEquals(Shapes.numElements(tensor.getValue()) * 2, raw.data().limit(), tensor.getKey());
        }
    }

    private Path fixture(String name) throws URISyntaxException {
        return Path.of(getClass().getResource("/fixtures/" + name).toURI());
    }

    private static String shardName(int shard) {
        return String.format("model-%05d-of-00003.safetensors", shard + 1);
    }

    private static void writeIndex(Path dir, ObjectNode weightMap) throws IOException {
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", 0);
        index.set("weight_map", weightMap);
        JSON.writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
    }
}
