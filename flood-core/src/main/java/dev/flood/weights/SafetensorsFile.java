package dev.flood.weights;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.FloodException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One {@code .safetensors} file. Layout:
 * <pre>
 *   [8 bytes]  N, the header length, unsigned little-endian
 *   [N bytes]  UTF-8 JSON: {"__metadata__": {...}, name: {"dtype": "BF16", "shape": [rows, cols],
 *              "data_offsets": [begin, end]}, ...}
 *   [rest]     the data section; a tensor's bytes are data[begin, end), row-major, little-endian
 * </pre>
 * Opening reads and validates only the header. Tensor bytes are memory-mapped on request, one tensor (or one
 * window of one) at a time: a single mapping cannot exceed 2 GiB and whole checkpoints are far larger, so the
 * file is never mapped or copied at once. Mapped buffers must not be used after {@link #close()}.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The safetensors library refuses headers beyond 100 MB; a larger length means a corrupt or foreign file. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final int HEADER_LENGTH_BYTES = 8;
    private static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /**
     * One tensor's header entry.
     *
     * @param shape row-major dimensions; empty for a scalar
     * @param begin first byte of the tensor, relative to the start of the data section
     * @param end   one past its last byte; {@code end - begin == dtype.bytes() * product(shape)}
     */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {

        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long numBytes() {
            return end - begin;
        }

        public long numElements() {
            return numBytes() / dtype.bytes();
        }
    }

    private final Path path;
    private final FileChannel channel;
    /** File offset of the data section: 8 + header length. */
    private final long dataStart;
    /** In header order. */
    private final Map<String, Entry> entries;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, Entry> entries) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
    }

    /** Opens the file and validates its header; the caller closes it. */
    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new FloodException("cannot open " + path + ": " + e, e);
        }
        try {
            long fileBytes = channel.size();
            long headerBytes = readHeaderLength(path, channel, fileBytes);
            long dataStart = HEADER_LENGTH_BYTES + headerBytes;
            JsonNode header = parseHeader(path, readFully(channel, HEADER_LENGTH_BYTES, (int) headerBytes));
            Map<String, Entry> entries = parseEntries(path, header, fileBytes - dataStart);
            return new SafetensorsFile(path, channel, dataStart, entries);
        } catch (IOException e) {
            closeQuietly(channel, e);
            throw new FloodException("cannot read " + path + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel, e);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    public Set<String> tensorNames() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The header entry of a tensor this file holds ({@link #contains}); FloodException otherwise. */
    public Entry entry(String name) {
        Entry entry = entries.get(name);
        if (entry == null) {
            throw new FloodException("no tensor " + name + " in " + path);
        }
        return entry;
    }

    /** Maps a whole tensor (at most 2 GiB - 1 bytes), little-endian, positioned 0 to limit. */
    public ByteBuffer map(Entry entry) {
        if (entry.numBytes() > Integer.MAX_VALUE) {
            throw new FloodException("tensor " + entry.name() + " in " + path + " is " + entry.numBytes()
                    + " bytes, more than one buffer holds (2 GiB - 1); read it in windows or as floats");
        }
        return map(entry, 0, (int) entry.numBytes());
    }

    /** Maps {@code numBytes} of a tensor's bytes starting {@code byteOffset} bytes into it; little-endian. */
    public ByteBuffer map(Entry entry, long byteOffset, int numBytes) {
        if (byteOffset < 0 || numBytes < 0 || byteOffset + numBytes > entry.numBytes()) {
            throw new IllegalArgumentException("bytes [" + byteOffset + ", " + (byteOffset + numBytes)
                    + ") are outside tensor " + entry.name() + " (" + entry.numBytes() + " bytes)");
        }
        if (!channel.isOpen()) {
            throw new IllegalStateException(path + " is closed");
        }
        try {
            long position = dataStart + entry.begin() + byteOffset;
            return channel.map(FileChannel.MapMode.READ_ONLY, position, numBytes).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new FloodException("cannot map tensor " + entry.name() + " in " + path + ": " + e, e);
        }
    }

    /** Releases the file. Buffers mapped from it must not be used afterwards. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new FloodException("cannot close " + path + ": " + e, e);
        }
    }

    private static long readHeaderLength(Path path, FileChannel channel, long fileBytes) throws IOException {
        if (fileBytes < HEADER_LENGTH_BYTES) {
            throw badHeader(path, "the file is " + fileBytes + " bytes, shorter than the 8-byte header length");
        }
        long headerBytes = readFully(channel, 0, HEADER_LENGTH_BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong();
        // Unsigned on disk: a length with the top bit set reads as negative here, and is just as wrong.
        if (headerBytes < 0 || headerBytes > MAX_HEADER_BYTES) {
            throw badHeader(path, "header length " + Long.toUnsignedString(headerBytes)
                    + " is beyond the " + MAX_HEADER_BYTES + "-byte limit");
        }
        if (HEADER_LENGTH_BYTES + headerBytes > fileBytes) {
            throw badHeader(path, "header length " + headerBytes + " is beyond the end of the file ("
                    + fileBytes + " bytes)");
        }
        return headerBytes;
    }

    private static JsonNode parseHeader(Path path, ByteBuffer headerBytes) {
        JsonNode header;
        try {
            header = JSON.readTree(headerBytes.array());
        } catch (JsonProcessingException e) {
            throw new FloodException("bad safetensors header in " + path + ": malformed JSON: "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new FloodException("cannot read " + path + ": " + e, e);
        }
        if (header == null || !header.isObject()) {
            throw badHeader(path, "expected a JSON object, got " + abbreviate(String.valueOf(header)));
        }
        return header;
    }

    private static Map<String, Entry> parseEntries(Path path, JsonNode header, long dataBytes) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : header.properties()) {
            if (!field.getKey().equals(METADATA_KEY)) {
                entries.put(field.getKey(), parseEntry(path, field.getKey(), field.getValue(), dataBytes));
            }
        }
        return entries;
    }

    private static Entry parseEntry(Path path, String name, JsonNode json, long dataBytes) {
        if (!json.isObject()) {
            throw badHeader(path, "tensor " + name + ": expected an object, got " + abbreviate(json.toString()));
        }
        JsonNode dtypeName = json.get("dtype");
        if (dtypeName == null || !dtypeName.isTextual()) {
            throw badHeader(path, "tensor " + name + ": 'dtype' must be a string, got " + dtypeName);
        }
        DType dtype = Arrays.stream(DType.values())
                .filter(d -> d.safetensorsName().equals(dtypeName.textValue()))
                .findFirst()
                .orElseThrow(() -> badHeader(path, "tensor " + name + " has unsupported dtype '"
                        + dtypeName.textValue() + "' (supported: " + supportedDtypes() + ")"));
        long[] shape = longs(path, name, "shape", json.get("shape"));
        long[] offsets = longs(path, name, "data_offsets", json.get("data_offsets"));
        if (offsets.length != 2 || offsets[0] > offsets[1]) {
            throw badHeader(path, "tensor " + name + ": 'data_offsets' must be [begin, end] with begin <= end, got "
                    + Arrays.toString(offsets));
        }
        if (offsets[1] > dataBytes) {
            throw badHeader(path, "tensor " + name + ": data_offsets " + Arrays.toString(offsets)
                    + " are beyond the data section (" + dataBytes + " bytes); is the file truncated?");
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(Shapes.numElements(shape), dtype.bytes());
        } catch (ArithmeticException e) {
            throw badHeader(path, "tensor " + name + ": shape " + Shapes.format(shape) + " overflows a 64-bit size");
        }
        if (offsets[1] - offsets[0] != expectedBytes) {
            throw badHeader(path, "tensor " + name + ": data_offsets " + Arrays.toString(offsets) + " span "
                    + (offsets[1] - offsets[0]) + " bytes, but " + dtype.safetensorsName() + " "
                    + Shapes.format(shape) + " needs " + expectedBytes);
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    /** A header field that must be a list of non-negative integers. */
    private static long[] longs(Path path, String name, String field, JsonNode json) {
        if (json == null || !json.isArray()) {
            throw badHeader(path, "tensor " + name + ": '" + field + "' must be a list of integers, got " + json);
        }
        long[] values = new long[json.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode value = json.get(i);
            if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
                throw badHeader(path, "tensor " + name + ": '" + field
                        + "' must be a list of non-negative integers, got " + json);
            }
            values[i] = value.longValue();
        }
        return values;
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int numBytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(numBytes);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file at byte " + (position + buffer.position()));
            }
        }
        return buffer.flip();
    }

    private static String supportedDtypes() {
        return Arrays.stream(DType.values()).map(DType::safetensorsName).collect(Collectors.joining(", "));
    }

    private static FloodException badHeader(Path path, String problem) {
        return new FloodException("bad safetensors header in " + path + ": " + problem);
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }

    private static void closeQuietly(FileChannel channel, Exception pending) {
        try {
            channel.close();
        } catch (IOException e) {
            pending.addSuppressed(e);
        }
    }
}
