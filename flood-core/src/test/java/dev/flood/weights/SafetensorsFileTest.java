package dev.flood.weights;

import dev.flood.api.FloodException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {

    @TempDir
    Path tempDir;

    private final Random random = new Random();

    @Test
    void readsHeaderEntriesInOrderAndSkipsMetadata() throws IOException {
        float[] weight = randomFloats(7 * 3 * 5);
        short[] bias = {(short) 0x3C00, (short) 0xBC00, (short) 0x3555};
        Path path = tempDir.resolve("two.safetensors");
        new SafetensorsTestWriter()
                .add("w", DType.F32, new long[]{7, 3, 5}, SafetensorsTestWriter.f32Bytes(weight))
                .add("b", DType.F16, new long[]{3}, SafetensorsTestWriter.shortBytes(bias))
                .write(path);
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertEquals(List.of("w", "b"), List.copyOf(file.tensorNames()));
            assertFalse(file.contains("__metadata__"));
            SafetensorsFile.Entry w = file.entry("w");
            assertEquals(DType.F32, w.dtype());
            assertArrayEquals(new long[]{7, 3, 5}, w.shape());
            assertEquals(0, w.begin());
            assertEquals(7 * 3 * 5 * 4, w.end());
            assertEquals(105, w.numElements());
            SafetensorsFile.Entry b = file.entry("b");
            assertEquals(420, b.begin());
            assertEquals(426, b.end());

            ByteBuffer mapped = file.map(b);
            assertEquals(ByteOrder.LITTLE_ENDIAN, mapped.order());
            assertEquals(0, mapped.position());
            assertEquals(6, mapped.limit());
            assertArrayEquals(SafetensorsTestWriter.shortBytes(bias), SafetensorsTestWriter.toArray(mapped));

            ByteBuffer window = file.map(w, 8, 12);
            assertEquals(weight[2], window.getFloat(0));
            assertEquals(weight[4], window.getFloat(8));

            FloodException e = assertThrows(FloodException.class, () -> file.entry("missing"));
            assertEquals("no tensor missing in " + path, e.getMessage());
            IllegalArgumentException outside = assertThrows(IllegalArgumentException.class, () -> file.map(b, 4, 4));
            assertEquals("bytes [4, 8) are outside tensor b (6 bytes)", outside.getMessage());
        }
    }

    @Test
    void mappingAfterCloseFails() throws IOException {
        Path path = tempDir.resolve("one.safetensors");
        new SafetensorsTestWriter().add("w", DType.F32, new long[]{2}, SafetensorsTestWriter.f32Bytes(randomFloats(2)))
                .write(path);
        SafetensorsFile file = SafetensorsFile.open(path);
        SafetensorsFile.Entry entry = file.entry("w");
        file.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> file.map(entry));
        assertEquals(path + " is closed", e.getMessage());
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path path = tempDir.resolve("tiny.safetensors");
        Files.write(path, new byte[]{1, 2, 3, 4, 5});
        assertBadHeader(path, "the file is 5 bytes, shorter than the 8-byte header length");
    }

    @Test
    void headerLengthBeyondFileSize() throws IOException {
        Path path = tempDir.resolve("short.safetensors");
        SafetensorsTestWriter.writeFile(path, 1000, "{}".getBytes(StandardCharsets.UTF_8), new byte[6]);
        assertBadHeader(path, "header length 1000 is beyond the end of the file (16 bytes)");
    }

    @Test
    void headerLengthBeyondTheLimit() throws IOException {
        Path path = tempDir.resolve("huge.safetensors");
        SafetensorsTestWriter.writeFile(path, 200_000_000L, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertBadHeader(path, "header length 200000000 is beyond the 100000000-byte limit");
        SafetensorsTestWriter.writeFile(path, -2L, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertBadHeader(path, "header length 18446744073709551614 is beyond the 100000000-byte limit");
    }

    @Test
    void garbageJson() throws IOException {
        Path path = tempDir.resolve("garbage.safetensors");
        SafetensorsTestWriter.writeFile(path, "{\"w\": {\"dtype\": F32", new byte[8]);
        FloodException e = assertThrows(FloodException.class, () -> SafetensorsFile.open(path));
        assertTrue(e.getMessage().startsWith("bad safetensors header in " + path + ": malformed JSON: "),
                e.getMessage());

        SafetensorsTestWriter.writeFile(path, "[1, 2]", new byte[8]);
        assertBadHeader(path, "expected a JSON object, got [1,2]");
    }

    @Test
    void dataOffsetsBeyondTheDataSection() throws IOException {
        Path path = tempDir.resolve("offsets.safetensors");
        SafetensorsTestWriter.writeFile(path, header("F32", "[2, 3]", "[0, 24]"), new byte[16]);
        assertBadHeader(path, "tensor w: data_offsets [0, 24] are beyond the data section (16 bytes);"
                + " is the file truncated?");
    }

    @Test
    void dataOffsetsInconsistentWithShape() throws IOException {
        Path path = tempDir.resolve("span.safetensors");
        SafetensorsTestWriter.writeFile(path, header("F32", "[2, 3]", "[4, 24]"), new byte[24]);
        assertBadHeader(path, "tensor w: data_offsets [4, 24] span 20 bytes, but F32 [2, 3] needs 24");
        SafetensorsTestWriter.writeFile(path, header("BF16", "[2, 3]", "[12, 4]"), new byte[24]);
        assertBadHeader(path, "tensor w: 'data_offsets' must be [begin, end] with begin <= end, got [12, 4]");
    }

    @Test
    void unsupportedDtype() throws IOException {
        Path path = tempDir.resolve("int8.safetensors");
        SafetensorsTestWriter.writeFile(path, header("I8", "[2, 3]", "[0, 6]"), new byte[6]);
        assertBadHeader(path, "tensor w has unsupported dtype 'I8' (supported: BF16, F16, F32, F8_E4M3)");
    }

    @Test
    void malformedEntries() throws IOException {
        Path path = tempDir.resolve("entries.safetensors");
        SafetensorsTestWriter.writeFile(path, header("F32", "[2, -3]", "[0, 24]"), new byte[24]);
        assertBadHeader(path, "tensor w: 'shape' must be a list of non-negative integers, got [2,-3]");
        SafetensorsTestWriter.writeFile(path, "{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", new byte[4]);
        assertBadHeader(path, "tensor w: 'dtype' must be a string, got null");
        SafetensorsTestWriter.writeFile(path, "{\"w\": [1]}", new byte[4]);
        assertBadHeader(path, "tensor w: expected an object, got [1]");
    }

    @Test
    void truncatedFile() throws IOException {
        Path path = tempDir.resolve("truncated.safetensors");
        new SafetensorsTestWriter()
                .add("a", DType.BF16, new long[]{19, 111}, SafetensorsTestWriter.shortBytes(randomShorts(19 * 111)))
                .add("b", DType.F32, new long[]{5}, SafetensorsTestWriter.f32Bytes(randomFloats(5)))
                .write(path);
        long fullSize = Files.size(path);
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(fullSize - 3);
        }
        long dataBytes = 19 * 111 * 2 + 5 * 4 - 3;
        assertBadHeader(path, "tensor b: data_offsets [4218, 4238] are beyond the data section (" + dataBytes
                + " bytes); is the file truncated?");
    }

    private static String header(String dtype, String shape, String offsets) {
        return "{\"__metadata__\": {\"format\": \"pt\"}, \"w\": {\"dtype\": \"" + dtype + "\", \"shape\": " + shape
                + ", \"data_offsets\": " + offsets + "}}";
    }

    private static void assertBadHeader(Path path, String problem) {
        FloodException e = assertThrows(FloodException.class, () -> SafetensorsFile.open(path));
        assertEquals("bad safetensors header in " + path + ": " + problem, e.getMessage());
    }

    private float[] randomFloats(int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private short[] randomShorts(int count) {
        short[] values = new short[count];
        for (int i = 0; i < count; i++) {
            values[i] = (short) random.nextInt();
        }
        return values;
    }
}
