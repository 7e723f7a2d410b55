package dev.flood.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes safetensors files for tests: tensors laid out back to back in insertion order, header padded with
 * spaces to a multiple of 8 bytes as the safetensors library does. {@link #writeFile} writes arbitrary
 * (corrupt) headers.
 */
final class SafetensorsTestWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private record Tensor(String dtype, long[] shape, byte[] data) {
    }

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    SafetensorsTestWriter add(String name, DType dtype, long[] shape, byte[] data) {
        return add(name, dtype.safetensorsName(), shape, data);
    }

    /** With a dtype name of any spelling, to write ones Flood does not support. */
    SafetensorsTestWriter add(String name, String dtype, long[] shape, byte[] data) {
        tensors.put(name, new Tensor(dtype, shape.clone(), data.clone()));
        return this;
    }

    void write(Path file) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
            Tensor tensor = entry.getValue();
            ObjectNode json = header.putObject(entry.getKey());
            json.put("dtype", tensor.dtype());
            ArrayNode shape = json.putArray("shape");
            for (long dim : tensor.shape()) {
                shape.add(dim);
            }
            json.putArray("data_offsets").add(data.size()).add(data.size() + tensor.data().length);
            data.write(tensor.data());
        }
        StringBuilder headerText = new StringBuilder(JSON.writeValueAsString(header));
        while (headerText.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) {
            headerText.append(' ');
        }
        writeFile(file, headerText.toString(), data.toByteArray());
    }

    /** An 8-byte length that matches {@code header}, the header, then {@code data}. */
    static void writeFile(Path file, String header, byte[] data) throws IOException {
        byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
        writeFile(file, headerBytes.length, headerBytes, data);
    }

    /** Whatever length is declared, the header bytes and the data, in that order. */
    static void writeFile(Path file, long declaredHeaderBytes, byte[] header, byte[] data) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(declaredHeaderBytes).put(header).put(data);
        Files.write(file, bytes.array());
    }

    static byte[] f32Bytes(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return bytes.array();
    }

    static byte[] shortBytes(short[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asShortBuffer().put(values);
        return bytes.array();
    }

    static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
